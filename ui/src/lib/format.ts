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
