/**
 * Minimal assertions shared by the tests (JSR's @std/assert is not
 * reachable here), on top of node:assert.
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** `s` contains `part`. */
export function assertStringIncludes(s: string, part: string, msg?: string): void {
  nodeAssert.ok(
    s.includes(part),
    msg ?? `expected ${JSON.stringify(s)} to include ${JSON.stringify(part)}`,
  );
}

/** `s` matches `re`. */
export function assertMatch(s: string, re: RegExp, msg?: string): void {
  nodeAssert.match(s, re, msg);
}

type ErrorClass<E extends Error> = new (...args: any[]) => E;

function check<E extends Error>(err: unknown, cls?: ErrorClass<E>, includes?: string): E {
  if (cls && !(err instanceof cls)) {
    throw new Error(
      `expected ${cls.name}, got ${
        err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }`,
    );
  }
  if (includes && !(err instanceof Error && err.message.includes(includes))) {
    throw new Error(
      `expected error message to include ${JSON.stringify(includes)}, got ${
        String((err as Error)?.message)
      }`,
    );
  }
  return err as E;
}

/** `fn` throws (an instance of `cls`, whose message includes `includes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    return check(err, cls, includes);
  }
  throw new Error("expected function to throw");
}

/** `fn` rejects (an instance of `cls`, whose message includes `includes`). */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return check(err, cls, includes);
  }
  throw new Error("expected promise to reject");
}
