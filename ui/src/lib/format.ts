import type { Country } from './ipc';
import { t } from './i18n';

/** "Lao People's Democratic Republic (LDC, LLDC)". */
export function countryLabel(country: Country): string {
  const groups = [
    country.ldc ? t('country.ldc') : null,
    country.lldc ? t('country.lldc') : null,
    country.sids ? t('country.sids') : null,
  ].filter((group) => group !== null);
  return groups.length > 0 ? `${country.name} (${groups.join(', ')})` : country.name;
}

export function countryName(countries: readonly Country[], iso3: string): string {
  return countries.find((country) => country.iso3 === iso3)?.name ?? iso3;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(millis: number): string {
  return dateTime.format(new Date(millis));
}

/** 1536 -> "1.5 KB"; decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A link speed in kbit/s or Mbit/s, as ISPs and IT offices state it. */
export function formatRate(bytesPerSecond: number): string {
  const kbits = (bytesPerSecond * 8) / 1000;
  return kbits >= 1000 ? `${(kbits / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbits)} kbit/s`;
}

/** 3725 -> "1 h 2 min"; 75 -> "1 min 15 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
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
