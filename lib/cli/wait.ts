/**
 * `tsbox wait CONTAINER...`: block until each stops, print its exit code.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { findContainer, NoSuchContainer } from "../container/lookup.ts";
import { waitExit } from "../container/stop.ts";
import { forEachRef } from "../container/cli_report.ts";

const USAGE = `Usage: tsbox wait CONTAINER [CONTAINER...]

Block until one or more containers stop, then print their exit codes`;

/** `tsbox wait`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "help", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"wait" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  return await forEachRef(p.positionals, async (ref) => {
    const rec = findContainer(ctx.paths, ref);
    const view = await waitExit(ctx.paths, rec.config.id);
    // removed while we waited (`run --rm`, `rm -f`): docker reports the exit it saw
    if (!view) throw new NoSuchContainer(ref);
    return String(view.exitCode);
  });
};
