/**
 * Commands docker ends with exit status 1 on any failure (push, commit,
 * cp, export, diff, history): re-raise a tsbox error with that code.
 * @module
 */

import { TsboxError } from "../errors.ts";

/** `err` with exit code 1 (the same message and hint); other values unchanged. */
export function exitOne(err: unknown): unknown {
  if (!(err instanceof TsboxError) || err.exitCode === 1) return err;
  return new TsboxError(err.message, { hint: err.hint, cause: err.cause, exitCode: 1 });
}
