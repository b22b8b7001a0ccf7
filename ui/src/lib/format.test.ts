import { afterEach, describe, expect, it } from 'vitest';

import {
  countryLabel,
  countryName,
  formatBytes,
  formatDuration,
  formatRate,
  formatTime,
  percent,
  rateAndTimeLeft,
} from './format';
import { setLocale } from './i18n';

describe('format', () => {
  afterEach(() => setLocale('en'));

  it('never shows 100% before everything is confirmed', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(999_999, 1_000_000)).toBe(99);
    expect(percent(1_000_000, 1_000_000)).toBe(100);
    expect(percent(430, 1000)).toBe(43);
  });

  it('states sizes, link speeds and durations as people read them', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(2_500_000)).toBe('2.5 MB');
    expect(formatBytes(60_000_000)).toBe('60.0 MB');
    expect(formatRate(32_000)).toBe('256 kb/s');
    expect(formatRate(250_000)).toBe('2.0 Mb/s');
    expect(formatDuration(75)).toBe('1 min 15 sec');
    expect(formatDuration(3725)).toBe('1 hr 2 min');
  });

  it('formats in the UI language through Intl', () => {
    setLocale('ru');
    expect(formatBytes(2_500_000)).toBe('2,5 МБ');
    expect(formatDuration(3725)).toBe('1 ч 2 мин');
    expect(formatTime(Date.UTC(2026, 0, 15, 12))).toMatch(/15 янв\. 2026/);
    setLocale('fr');
    expect(formatRate(32_000)).toMatch(/^256\skbit\/s$/);
    setLocale('zh-Hans');
    expect(formatDuration(75)).toBe('1分钟 15秒');
  });

  it('names a country officially in English and by its CLDR name in other languages', () => {
    const lao = {
      name: "Lao People's Democratic Republic",
      membership: 'member',
      iso2: 'LA',
      iso3: 'LAO',
      m49: '418',
      subregion: 'South-East Asia',
      ldc: true,
      lldc: true,
      sids: false,
      ldc_note: '',
      subregion_note: '',
    };
    const country = lao as unknown as Parameters<typeof countryLabel>[0];
    expect(countryLabel(country)).toBe("Lao People's Democratic Republic (LDC, LLDC)");
    setLocale('ru');
    expect(countryLabel(country)).toBe('Лаос (НРС, РСНВМ)');
    setLocale('zh-Hans');
    expect(countryName([country], 'LAO')).toBe('老挝');
  });

  it('shows rate and time left only once a rate is measured', () => {
    expect(rateAndTimeLeft(undefined)).toBe('');
    expect(rateAndTimeLeft({ bytes_per_second: 0, case_seconds_left: null })).toBe('');
    expect(rateAndTimeLeft({ bytes_per_second: 32_000, case_seconds_left: null })).toBe(' · 256 kb/s');
    expect(rateAndTimeLeft({ bytes_per_second: 32_000, case_seconds_left: 24 })).toBe(
      ' · 256 kb/s · 24 sec left',
    );
  });
});
