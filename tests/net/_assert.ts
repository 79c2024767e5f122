/**
 * Minimal assertions for the network tests (JSR's @std/assert is not
 * reachable here), built on node:assert.
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Fail unless `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  nodeAssert.match(actual, re, msg);
}

/** `fn` throws an instance of `cls`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: new (...a: any[]) => E,
  msgIncludes?: string,
): E {
  try {
    fn();
  } catch (err) {
    nodeAssert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    if (msgIncludes) {
      nodeAssert.ok(
        (err as E).message.includes(msgIncludes),
        `"${(err as E).message}" lacks "${msgIncludes}"`,
      );
    }
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: `expected ${cls.name} to be thrown` });
}

/** `fn` rejects with an instance of `cls`; returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: new (...a: any[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    nodeAssert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: `expected ${cls.name} rejection` });
}
