/**
 * `tsbox kill [-s SIGNAL] CONTAINER...` (default SIGKILL).
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { parseSignal } from "../signals.ts";
import { findContainer } from "../container/lookup.ts";
import { killContainer } from "../container/stop.ts";
import { forEachRef } from "../container/cli_report.ts";
import { markManualStop } from "../container/restart_state.ts";
import { liveView } from "../container/live.ts";

const USAGE = `Usage: tsbox kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Options:
  -s, --signal SIG   signal to send (default "KILL")`;

/** `tsbox kill`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "signal", short: "s", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"kill" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const signal = str(p, "signal") ?? "KILL";
  parseSignal(signal); // a bad signal is a usage error before any container is touched
  const fatal = [9, 15, 2].includes(parseSignal(signal)); // KILL, TERM, INT end it
  return await forEachRef(p.positionals, (ref) => {
    const rec = findContainer(ctx.paths, ref);
    // docker: a container the user killed is not brought back by its restart policy
    if (fatal && liveView(rec).running) markManualStop(ctx.paths, rec);
    killContainer(rec, ref, signal, ctx.paths);
    return Promise.resolve(ref);
  });
};
