/**
 * docker's check before attaching a terminal: `-it` with a stdin that is
 * not a terminal fails with "the input device is not a TTY" (exit 1).
 * @module
 */

import { TsboxError } from "../errors.ts";

/**
 * @throws {TsboxError} stdin is not a terminal (exit 1, docker's wording).
 */
export function requireTerminal(isTerminal = Deno.stdin.isTerminal()): void {
  if (!isTerminal) {
    throw new TsboxError("the input device is not a TTY", {
      exitCode: 1,
      hint: "drop -t, or run from a terminal",
    });
  }
}
