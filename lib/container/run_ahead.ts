/**
 * `tsbox run`'s earliest head start: main.ts spawns the init here, before
 * run's own modules load (~5 ms) and its flags are parsed, when a look at
 * the arguments says the run will want the plain shape (a new PID
 * namespace, no user namespace) and the default foreground stdio (no
 * `-i`, `-t`, `-a`). The look is conservative: any argument that could
 * mean otherwise, even in the container's own command, and no head start
 * is taken here (run spawns its init after its flags, as before). Run
 * checks the parsed flags again and stops an init that does not fit; the
 * start checks the generated spec once more. Loaded lazily (lib/lazy.ts),
 * so main.ts stays small for every other command.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { type EarlyInit, initStdio, spawnEarlyInit } from "./early_init.ts";

/** Long flags that change the init's shape or stdio, or end in another path. */
const LONG = new Set([
  "detach",
  "interactive",
  "tty",
  "attach",
  "pid",
  "userns",
  "uidmap",
  "gidmap",
  "restart",
  "help",
]);

/** Short flags that do (`-d`, `-i`, `-t`, `-a`), alone or in a cluster such as `-it`. */
const SHORT = /^-[A-Za-z]*[adit]/;

/**
 * Whether `args` (run's, after the command word) surely ask for the plain
 * shape with the default stdio. False when in doubt.
 */
export function fitsAhead(args: readonly string[], env: Record<string, string>): boolean {
  if (env.TSBOX_EARLY_INIT === "0" || (env.TSBOX_USERNS ?? "") !== "") return false;
  for (const a of args) {
    if (a.startsWith("--")) {
      if (LONG.has(a.slice(2).split("=")[0])) return false;
    } else if (SHORT.test(a)) return false;
  }
  return true;
}

/**
 * Spawn the init for a `run` with `args` if `fitsAhead` says it fits (not
 * rootless: its stage is run's own). A spawn that fails here is left to
 * run's own spawn, which reports it.
 */
export function spawnAhead(ctx: CliContext, args: readonly string[]): EarlyInit | undefined {
  if (ctx.rootless || !fitsAhead(args, ctx.env)) return undefined;
  try {
    return spawnEarlyInit(ctx, initStdio(false, { interactive: false }), false);
  } catch {
    return undefined; // run spawns its init again and reports what fails
  }
}
