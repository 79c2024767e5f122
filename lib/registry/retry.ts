/**
 * Bounded retries with exponential backoff for transient registry failures:
 * connection reset, timeouts, HTTP 5xx and 429 (a refused connection is
 * final, as in docker).
 * @module
 */

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  attempts: number;
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** Upper bound of one delay (also caps `Retry-After`). */
  maxDelayMs: number;
}

/** Default: 5 attempts, 0.5 s → 1 → 2 → 4 s (about 7.5 s of waiting at most). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8_000 };

/** A failure worth retrying; `retryAfterMs` comes from a `Retry-After` header. */
export class TransientError extends Error {
  readonly retryAfterMs?: number;
  constructor(message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = "TransientError";
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** HTTP statuses that are retried. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 ||
    (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * True for network-level failures: fetch's `TypeError` (refused, reset,
 * body cut short), Deno's connection errors and our own timeouts.
 */
export function isNetworkError(err: unknown): boolean {
  if (isNameResolutionFailure(err)) return false;
  return err instanceof TypeError ||
    err instanceof Deno.errors.ConnectionRefused ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.UnexpectedEof ||
    err instanceof Deno.errors.TimedOut ||
    (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError"));
}

/**
 * A connection the registry's host refused (nothing listens on the port):
 * final, as docker treats it — it fails in milliseconds, retrying only
 * delays the error by seconds.
 */
export function isConnectionRefused(err: unknown): boolean {
  if (err instanceof Deno.errors.ConnectionRefused) return true;
  const text = (e: unknown): string => e instanceof Error ? `${e.message} ${text(e.cause)}` : "";
  return /connection refused|os error 111\b|ECONNREFUSED/i.test(text(err));
}

/**
 * A registry host name that does not resolve: final, as docker treats it
 * (retrying only delays the error on an offline machine).
 */
export function isNameResolutionFailure(err: unknown): boolean {
  const text = (e: unknown): string => e instanceof Error ? `${e.message} ${text(e.cause)}` : "";
  return /dns error|failed to lookup address|Name or service not known|No address associated/i.test(
    text(err),
  );
}

/** Parse `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Delay before retry number `n` (1-based), with ±20 % jitter so parallel layers spread out. */
export function backoffDelay(policy: RetryPolicy, n: number, hintMs?: number): number {
  const exp = policy.baseDelayMs * 2 ** (n - 1);
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.min(policy.maxDelayMs, hintMs ?? exp * jitter);
}

/**
 * Run `fn` until it succeeds, fails with a non-transient error, or the
 * attempts are used up (then the last error is rethrown). `onRetry` is told
 * about each wait, e.g. for progress output.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const transient = err instanceof TransientError ||
        (isNetworkError(err) && !isConnectionRefused(err));
      if (!transient || attempt >= policy.attempts) throw err;
      const delay = backoffDelay(
        policy,
        attempt,
        err instanceof TransientError ? err.retryAfterMs : undefined,
      );
      onRetry?.(err, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
