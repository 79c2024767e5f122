/**
 * `--init`: docker runs its tini (`docker-init`) as PID 1, which reaps
 * zombies and forwards signals to the command. tsbox does the same with
 * Debian's static tini, bind-mounted read-only at `/sbin/docker-init`.
 * Pure apart from checking that the binary exists.
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ProcessSpec } from "./types.ts";

/** Where docker (and tsbox) put the init inside the container. */
export const INIT_TARGET = "/sbin/docker-init";

/** The static tini of Debian's `tini` package. */
export const INIT_SOURCE = "/usr/bin/tini-static";

/**
 * The `-v` value that mounts the init.
 * @throws {UsageError} tini is not installed (run/create: 125).
 */
export function initMount(source = INIT_SOURCE): string {
  try {
    if (!Deno.statSync(source).isFile) throw new Deno.errors.NotFound(source);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new UsageError(`--init needs ${source}`, { hint: "apt-get install tini" });
  }
  return `${source}:${INIT_TARGET}:ro`;
}

/** The process with the init in front: `docker-init -- CMD…`. */
export function withInit(p: ProcessSpec): ProcessSpec {
  return { ...p, args: [INIT_TARGET, "--", ...p.args] };
}

/** The user's command of a process (without an injected init), for ps and inspect. */
export function userArgs(args: string[], init: boolean | undefined): string[] {
  return init && args[0] === INIT_TARGET && args[1] === "--" ? args.slice(2) : args;
}
