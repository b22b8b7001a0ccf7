import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Autosave, combineStates, type SaveState } from './autosave';

/** A save whose completion the test controls. */
function controlledSave() {
  const calls: Array<{ value: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  const save = (value: string) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ value, resolve: () => resolve(value), reject });
    });
  return { calls, save };
}

describe('Autosave', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves once, with the latest text, after a pause in typing', async () => {
    const { calls, save } = controlledSave();
    const states: SaveState[] = [];
    const autosave = new Autosave({ delay: 400, save, onChange: (s) => states.push(s) });
    autosave.input('M');
    await vi.advanceTimersByTimeAsync(300);
    autosave.input('Mo');
    await vi.advanceTimersByTimeAsync(300);
    autosave.input('Mobile');
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(400);
    expect(calls.map((c) => c.value)).toEqual(['Mobile']);
    expect(autosave.state).toBe('saving');
    calls[0]?.resolve();
    await vi.runAllTimersAsync();
    expect(autosave.state).toBe('saved');
    expect(states.at(0)).toBe('pending');
    expect(states.at(-1)).toBe('saved');
  });

  it('never runs two saves at once and ends with the newest text saved', async () => {
    const { calls, save } = controlledSave();
    const autosave = new Autosave({ delay: 400, save });
    autosave.input('first');
    await vi.advanceTimersByTimeAsync(400);
    autosave.input('second');
    await vi.advanceTimersByTimeAsync(400);
    autosave.input('third');
    await vi.advanceTimersByTimeAsync(400);
    expect(calls.map((c) => c.value)).toEqual(['first']);
    calls[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // 'second' was overtaken by 'third' before the first save returned.
    expect(calls.map((c) => c.value)).toEqual(['first', 'third']);
    expect(autosave.state).toBe('saving');
    calls[1]?.resolve();
    await vi.runAllTimersAsync();
    expect(autosave.state).toBe('saved');
  });

  it('shows an error, keeps the text and saves it on the next flush', async () => {
    const { calls, save } = controlledSave();
    const autosave = new Autosave({ delay: 400, save });
    autosave.input('Lao PDR');
    await vi.advanceTimersByTimeAsync(400);
    calls[0]?.reject({ code: 'disk_full', message: 'The disk is full' });
    await vi.advanceTimersByTimeAsync(0);
    expect(autosave.state).toBe('error');
    expect(autosave.error).toEqual({ code: 'disk_full', message: 'The disk is full' });
    const flushed = autosave.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.value)).toEqual(['Lao PDR', 'Lao PDR']);
    calls[1]?.resolve();
    await flushed;
    expect(autosave.state).toBe('saved');
    expect(autosave.error).toBeUndefined();
  });

  it('flush saves at once and waits for the save', async () => {
    const { calls, save } = controlledSave();
    const autosave = new Autosave({ delay: 400, save });
    autosave.input('typed just now');
    const flushed = autosave.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.value)).toEqual(['typed just now']);
    let done = false;
    void flushed.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    calls[0]?.resolve();
    await flushed;
    // The timer was cancelled: nothing more is saved.
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
  });

  it('flush with nothing typed saves nothing', async () => {
    const { calls, save } = controlledSave();
    await new Autosave({ delay: 400, save }).flush();
    expect(calls).toHaveLength(0);
  });
});

describe('combineStates', () => {
  it('shows the most pressing state of all fields', () => {
    expect(combineStates([])).toBe('idle');
    expect(combineStates(['saved', 'idle'])).toBe('saved');
    expect(combineStates(['saved', 'pending'])).toBe('pending');
    expect(combineStates(['pending', 'saving', 'saved'])).toBe('saving');
    expect(combineStates(['saving', 'error', 'saved'])).toBe('error');
  });
});
