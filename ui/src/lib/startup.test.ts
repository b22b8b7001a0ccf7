import { describe, expect, it } from 'vitest';

import type { CaseSummary } from './ipc';
import { handOverFirstCases, takeFirstCases } from './startup';

describe('the first case page', () => {
  it('is taken once, by the first list shown', () => {
    expect(takeFirstCases()).toBeNull();
    const cases = [{ id: 1, title: 'Druk e-Service' }] as unknown as CaseSummary[];
    handOverFirstCases(cases);
    expect(takeFirstCases()).toBe(cases);
    expect(takeFirstCases()).toBeNull();
  });
});
