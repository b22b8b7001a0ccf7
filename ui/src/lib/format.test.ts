import { describe, expect, it } from 'vitest';

import { formatBytes, formatDuration, formatRate, percent, rateAndTimeLeft } from './format';

describe('format', () => {
  it('never shows 100% before everything is confirmed', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(999_999, 1_000_000)).toBe(99);
    expect(percent(1_000_000, 1_000_000)).toBe(100);
    expect(percent(430, 1000)).toBe(43);
  });

  it('states sizes, link speeds and durations as people read them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2_500_000)).toBe('2.5 MB');
    expect(formatBytes(60_000_000)).toBe('60.0 MB');
    expect(formatRate(32_000)).toBe('256 kbit/s');
    expect(formatRate(250_000)).toBe('2.0 Mbit/s');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(3725)).toBe('1 h 2 min');
  });

  it('shows rate and time left only once a rate is measured', () => {
    expect(rateAndTimeLeft(undefined)).toBe('');
    expect(rateAndTimeLeft({ bytes_per_second: 0, case_seconds_left: null })).toBe('');
    expect(rateAndTimeLeft({ bytes_per_second: 32_000, case_seconds_left: null })).toBe(' · 256 kbit/s');
    expect(rateAndTimeLeft({ bytes_per_second: 32_000, case_seconds_left: 24 })).toBe(
      ' · 256 kbit/s · 24 s left',
    );
  });
});
