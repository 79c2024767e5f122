/**
 * `tsbox stop [-t SECONDS] [-s SIGNAL] CONTAINER...`.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { FlagError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { stopContainer } from "../container/stop.ts";
import { forEachRef } from "../container/cli_report.ts";
import { markManualStop } from "../container/restart_state.ts";

const USAGE = `Usage: tsbox stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Options:
  -s, --signal SIG     signal to send (default: its --stop-signal, the image's StopSignal, else SIGTERM)
  -t, --time SECONDS   seconds to wait before killing the container (default: its
                       --stop-timeout, else 10; -1 forever)`;

/** `tsbox stop`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "time", short: "t", type: "string", aliases: ["timeout"] },
    { name: "signal", short: "s", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (!p.positionals.length) {
    throw new UsageError(`"stop" requires at least 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const t = str(p, "time");
  if (t !== undefined && !/^-?[0-9]+$/.test(t)) {
    throw new FlagError(`invalid argument "${t}" for "-t, --time" flag`);
  }
  return await forEachRef(p.positionals, async (ref) => {
    const rec = findContainer(ctx.paths, ref);
    markManualStop(ctx.paths, rec); // a restart policy must not undo a stop
    await stopContainer(ctx.paths, rec, {
      // -t, else the container's --stop-timeout, else docker's 10 s
      timeoutSec: t !== undefined ? Number(t) : rec.config.stopTimeout ?? 10,
      signal: str(p, "signal"),
    });
    return ref;
  });
};
