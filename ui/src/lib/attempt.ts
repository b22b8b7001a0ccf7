import { normaliseError, type CommandError } from './ipc';

/**
 * Runs `work`; if it throws or rejects, hands what it threw, as a `CommandError`, to `failed` and
 * resolves to `undefined`. The one place a screen turns a failed command into what it shows.
 */
export async function attempt<T>(
  work: () => Promise<T>,
  failed: (error: CommandError) => void,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    failed(normaliseError(err));
    return undefined;
  }
}
