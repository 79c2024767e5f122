/**
 * Docker's way of reporting per-container failures on the CLI: a lookup
 * or state conflict prints `Error response from daemon: <message>` and
 * exits 1; commands taking several containers go on with the others and
 * fail at the end. Anything else is a tsbox error (`tsbox: …`, its code).
 * @module
 */

import { commandExitCode, ContainerError, formatError } from "../errors.ts";

/** The line docker prints for `err` (without a trailing newline). */
export function errorLine(err: unknown, prefix = "Error response from daemon: "): string {
  return err instanceof ContainerError && err.exitCode === 1
    ? `${prefix}${err.message}`
    : formatError(err);
}

/** Run `fn`; a container conflict is printed docker-style and returns 1. */
export async function daemonError(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ContainerError && err.exitCode === 1)) throw err;
    console.error(errorLine(err));
    return 1;
  }
}

/**
 * Apply `fn` to each ref in order; print what it returns (a line per
 * success, as docker echoes the name), then the errors; exit 1 on any.
 * @param ignore errors to print without failing (`rm -f` of a missing one).
 * @param verb the command, for docker's exit code (`start` keeps 125, others 1).
 */
export async function forEachRef(
  refs: string[],
  fn: (ref: string) => Promise<string | undefined>,
  ignore: (err: unknown) => boolean = () => false,
  verb?: string,
): Promise<number> {
  const errors: string[] = [];
  let code = 0;
  for (const ref of refs) {
    try {
      const out = await fn(ref);
      if (out !== undefined) console.log(out);
    } catch (err) {
      if (ignore(err)) {
        console.error(errorLine(err));
        continue;
      }
      errors.push(errorLine(err));
      code = err instanceof ContainerError && err.exitCode === 1
        ? (code || 1)
        : commandExitCode(verb, err);
    }
  }
  if (errors.length) console.error(errors.join("\n"));
  return code;
}
