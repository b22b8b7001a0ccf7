// Everything typed but not yet saved, flushed before the window closes.

const flushers = new Set<() => Promise<void>>();

/** Registers a flush; returns a function that removes it. */
export function registerFlush(flush: () => Promise<void>): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}

/** Runs every registered flush; a failing one does not stop the others. */
export async function flushAll(): Promise<void> {
  await Promise.allSettled([...flushers].map((flush) => flush()));
}
