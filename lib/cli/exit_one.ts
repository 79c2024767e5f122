/**
 * Commands docker ends with exit status 1 on any failure (push, commit,
 * cp, export, diff, history): re-raise a failure with that code and the
 * same one-line message and hint.
 * @module
 */

import { TsboxError } from "../errors.ts";

/** `err` as a tsbox error with exit code 1 (non-errors are returned unchanged). */
export function exitOne(err: unknown): unknown {
  if (err instanceof TsboxError) {
    if (err.exitCode === 1) return err;
    return new TsboxError(err.message, { hint: err.hint, cause: err.cause, exitCode: 1 });
  }
  if (err instanceof Error) return new TsboxError(err.message, { cause: err, exitCode: 1 });
  return err;
}
