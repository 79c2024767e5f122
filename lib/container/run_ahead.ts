/**
 * `tsbox run`'s earliest head start: main.ts spawns the init here, before
 * run's own modules load (~5 ms) and its flags are parsed, when a look at
 * the arguments (lib/run_ahead_fit.ts `fitsAhead`, which main.ts asks
 * before it loads this module) says the run will want the plain shape (a
 * new PID namespace, no user namespace) and the default foreground stdio
 * (no `-i`, `-t`, `-a`), and the run is not rootless (its stage is run's
 * own). The look is conservative: any argument that could mean otherwise,
 * even in the container's own command, and no head start is taken (run
 * spawns its init after its flags, as before). Run checks the parsed
 * flags again and stops an init that does not fit; the start checks the
 * generated spec once more. Loaded lazily (lib/lazy.ts), so main.ts stays
 * small for every other command.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { type EarlyInit, initStdio, spawnEarlyInit } from "./early_init.ts";

/**
 * Spawn the init for a `run` whose arguments fit (main.ts checked). A
 * spawn that fails here is left to run's own spawn, which reports it.
 */
export function spawnAhead(ctx: CliContext): EarlyInit | undefined {
  try {
    return spawnEarlyInit(ctx, initStdio(false, { interactive: false }), false);
  } catch {
    return undefined; // run spawns its init again and reports what fails
  }
}
