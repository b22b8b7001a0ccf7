import type { Country } from './ipc';
import { getLocale, intlLocale, t } from './i18n';

/**
 * The country's name: ESCAP's official name in English; in other languages the name CLDR gives
 * for its ISO code (through `Intl.DisplayNames`), which is the common short name, not the UN's
 * official one, rather than English.
 */
export function localCountryName(country: Country): string {
  if (getLocale() === 'en') return country.name;
  try {
    return new Intl.DisplayNames([intlLocale()], { type: 'region' }).of(country.iso2) ?? country.name;
  } catch {
    return country.name;
  }
}

/** "Lao People's Democratic Republic (LDC, LLDC)". */
export function countryLabel(country: Country): string {
  const groups = [
    country.ldc ? t('country.ldc') : null,
    country.lldc ? t('country.lldc') : null,
    country.sids ? t('country.sids') : null,
  ].filter((group) => group !== null);
  const name = localCountryName(country);
  return groups.length > 0 ? `${name} (${groups.join(', ')})` : name;
}

export function countryName(countries: readonly Country[], iso3: string): string {
  const country = countries.find((candidate) => candidate.iso3 === iso3);
  return country ? localCountryName(country) : iso3;
}

// Dates, sizes, rates and durations through `Intl` in the UI's locale (units and their
// abbreviations come from CLDR: "2,5 Мо", "256 кбит/с", "1小时 2分钟").

export function formatTime(millis: number): string {
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(millis),
  );
}

function unit(value: number, name: string, digits = 0, display: 'short' | 'long' = 'short'): string {
  return new Intl.NumberFormat(intlLocale(), {
    style: 'unit',
    unit: name,
    unitDisplay: display,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** 1536 -> "1.5 kB"; decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  const units = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'];
  if (bytes < 1000) return unit(bytes, 'byte', 0, 'long');
  let value = bytes;
  let index = -1;
  while (value >= 1000 && index < units.length - 1) {
    value /= 1000;
    index += 1;
  }
  return unit(value, units[index] ?? 'terabyte', value >= 100 ? 0 : 1);
}

/** A link speed in kbit/s or Mbit/s, as ISPs and IT offices state it. */
export function formatRate(bytesPerSecond: number): string {
  const kbits = (bytesPerSecond * 8) / 1000;
  return kbits >= 1000
    ? unit(kbits / 1000, 'megabit-per-second', 1)
    : unit(Math.round(kbits), 'kilobit-per-second');
}

/** 3725 -> "1 hr 2 min"; 75 -> "1 min 15 sec". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${unit(h, 'hour')} ${unit(m, 'minute')}`;
  if (m > 0) return `${unit(m, 'minute')} ${unit(s % 60, 'second')}`;
  return unit(s, 'second');
}

/** Whole percent, never 100 before everything is confirmed. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  const p = Math.floor((done / total) * 100);
  return done < total ? Math.min(p, 99) : 100;
}

/** " · 714 kbit/s · 24 s left" while a case is being sent at a measured rate, else "". */
export function rateAndTimeLeft(
  live: { bytes_per_second: number; case_seconds_left: number | null } | undefined,
): string {
  if (!live || live.bytes_per_second <= 0) return '';
  const left =
    live.case_seconds_left === null
      ? ''
      : ` · ${t('submit.left', { time: formatDuration(live.case_seconds_left) })}`;
  return ` · ${formatRate(live.bytes_per_second)}${left}`;
}
