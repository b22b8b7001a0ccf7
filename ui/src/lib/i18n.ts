// Every string the UI shows goes through `t()`. The messages are ICU MessageFormat, one JSON file
// per language in `src/messages/` (English is the reference; `catalogs.test.ts` checks that every
// language has every message, with the same parameters and its own plural categories). Text from
// the user or from the catalogs of MDG/SDG targets is not here.

import { IntlMessageFormat } from 'intl-messageformat';

import en from '../messages/en.json';
import fr from '../messages/fr.json';
import ru from '../messages/ru.json';
import zhHans from '../messages/zh-Hans.json';
import { localeState } from './locale.svelte';
import { pseudoMessage } from './pseudo';

export type MessageKey = keyof typeof en;
/** The languages a focal point can choose, by BCP 47 tag; `en-XA` is the pseudo-locale tests use. */
export type Locale = 'en' | 'fr' | 'ru' | 'zh-Hans' | 'en-XA';
export type MessageValues = Record<string, string | number>;
type Catalog = Record<MessageKey, string>;

export const LOCALES: readonly Exclude<Locale, 'en-XA'>[] = ['en', 'fr', 'ru', 'zh-Hans'];

export const catalogs: Record<Exclude<Locale, 'en-XA'>, Catalog> = {
  en,
  fr,
  ru,
  'zh-Hans': zhHans,
};

const compiled = new Map<string, IntlMessageFormat>();

export function setLocale(locale: Locale): void {
  localeState.current = locale;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

export function getLocale(): Locale {
  return localeState.current;
}

/**
 * The locale `Intl` formats numbers, dates and units with. The pseudo-locale formats as Russian:
 * no Latin letters, so a size or a date not formatted through `Intl` stands out in its test.
 */
export function intlLocale(): string {
  const current = localeState.current;
  return current === 'en-XA' ? 'ru' : current;
}

export function isLocale(value: unknown): value is Locale {
  return value === 'en-XA' || LOCALES.includes(value as Exclude<Locale, 'en-XA'>);
}

/** The language of the system (first run), among those PAKS Desk speaks; English otherwise. */
export function systemLocale(preferred: readonly string[]): Exclude<Locale, 'en-XA'> {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) {
      // Traditional Chinese readers get Simplified rather than English until it is translated.
      return 'zh-Hans';
    }
    const language = lower.split(/[-_]/)[0];
    const match = LOCALES.find((locale) => locale === language);
    if (match) return match;
  }
  return 'en';
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

function format(locale: Locale, key: MessageKey, values: MessageValues): string {
  const cacheKey = `${locale}\u0000${key}`;
  let message = compiled.get(cacheKey);
  if (!message) {
    message =
      locale === 'en-XA'
        ? new IntlMessageFormat(pseudoMessage(en[key]), 'en')
        : new IntlMessageFormat(catalogs[locale][key], locale);
    compiled.set(cacheKey, message);
  }
  return String(message.format(values));
}

/** The message for `key` in the current language, with its parameters filled in. */
export function t(key: MessageKey, values: MessageValues = {}): string {
  const current = localeState.current;
  try {
    return format(current, key, values);
  } catch {
    // A missing parameter: show the message with the names visible rather than nothing.
    return catalogs[current === 'en-XA' ? 'en' : current][key];
  }
}

/** For keys built at run time (e.g. `status.${status}`): falls back to `fallback` if unknown. */
export function tDynamic(key: string, fallback: string, values: MessageValues = {}): string {
  return isMessageKey(key) ? t(key, values) : fallback;
}

/** A code with parameters from Rust (`UiMessage`, `CommandError`), in the user's language. */
export function messageText(message: {
  code: string;
  message?: string;
  params?: Partial<Record<string, string | number>>;
}): string {
  const values: MessageValues = {};
  for (const [name, value] of Object.entries(message.params ?? {})) {
    if (value === undefined) continue;
    // A section or profile field travels by its wire name; show its label.
    if (name === 'field' && typeof value === 'string') {
      values[name] = tDynamic(`field.${value}`, tDynamic(`profile.${value.toLowerCase()}`, value));
    } else if (name === 'missing' && typeof value === 'string') {
      const labels = value
        .split(',')
        .map((part) => (part === 'mdg_link' ? t('missing.mdgLabel') : tDynamic(`field.${part}`, part)));
      values[name] = new Intl.ListFormat(intlLocale(), { type: 'conjunction' }).format(labels);
    } else {
      values[name] = value;
    }
  }
  if (message.code === 'ipc' && message.message) return t('error.ipc', { detail: message.message });
  const key = `error.${message.code}`;
  return isMessageKey(key) ? t(key, values) : t('error.unknown');
}
