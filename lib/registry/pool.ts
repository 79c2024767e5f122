/**
 * Run async tasks with bounded concurrency; on the first failure stop
 * starting new ones, abort the running ones through a signal, wait for them
 * to settle (no stray writes after we return) and rethrow that failure.
 * @module
 */

/**
 * Call `fn(item, index, signal)` for every item, at most `limit` at a time.
 * @returns results in input order.
 * @throws the first task error (later errors, typically aborts, are dropped).
 */
export async function runBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const ctl = new AbortController();
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i, ctl.signal);
      } catch (err) {
        if (!failure) {
          failure = { err };
          ctl.abort(err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
  return results;
}
