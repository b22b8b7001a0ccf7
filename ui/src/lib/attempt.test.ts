import { describe, expect, it, vi } from 'vitest';

import { attempt } from './attempt';
import { DeskError, type CommandError } from './ipc';

describe('attempt', () => {
  it('resolves to what the work gave and reports nothing', async () => {
    const failed = vi.fn();
    await expect(attempt(async () => 42, failed)).resolves.toBe(42);
    expect(failed).not.toHaveBeenCalled();
  });

  it("hands a command's error over as it is and resolves to undefined", async () => {
    const failed = vi.fn();
    const refused: CommandError = { code: 'case_locked', message: 'This case is submitted.', params: {} };
    const outcome = await attempt(async () => {
      throw new DeskError(refused);
    }, failed);
    expect(outcome).toBeUndefined();
    expect(failed).toHaveBeenCalledTimes(1);
    expect(failed).toHaveBeenCalledWith(refused);
  });

  it('normalises anything else thrown, a synchronous throw included', async () => {
    const failed = vi.fn();
    await attempt(() => {
      throw new TypeError('window.__TAURI_INTERNALS__ is undefined');
    }, failed);
    await attempt(() => Promise.reject('command case_get not allowed by ACL'), failed);
    expect(failed.mock.calls).toEqual([
      [{ code: 'ipc', message: 'window.__TAURI_INTERNALS__ is undefined', params: {} }],
      [{ code: 'ipc', message: 'command case_get not allowed by ACL', params: {} }],
    ]);
  });

  it('reports the failure before it resolves, so a caller can act on it after the await', async () => {
    const order: string[] = [];
    await attempt(
      () => Promise.reject(new Error('gone')),
      () => order.push('failed'),
    );
    order.push('resolved');
    expect(order).toEqual(['failed', 'resolved']);
  });
});
