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
import { fitsAhead } from "../run_ahead_fit.ts";

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
