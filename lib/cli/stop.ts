/**
 * `tsbox stop [-t SECONDS] [-s SIGNAL] CONTAINER...`.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { FlagError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import type { ContainerRecord } from "../container/store.ts";
import { stopContainer } from "../container/stop.ts";
import { forEachRef } from "../container/cli_report.ts";
import { markManualStop } from "../container/restart_state.ts";

const USAGE = `Usage: tsbox stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Options:
  -s, --signal SIG     signal to send (default: its --stop-signal, the image's StopSignal, else SIGTERM)
  -t, --time SECONDS   seconds to wait before killing the container (default: its
                       --stop-timeout, else 10; -1 forever)`;

/** `stop`'s and `restart`'s flags: the refs, and the stop options for each container. */
export interface StopArgs {
  help: boolean;
  refs: string[];
  /** -t, else the container's --stop-timeout, else docker's 10 s; -s, else its stop signal. */
  options(rec: ContainerRecord): { timeoutSec: number; signal?: string };
}

/**
 * Parse `-t/--time` and `-s/--signal` plus at least one container.
 * @throws {UsageError} no container; {FlagError} a -t that is not a whole number.
 */
export function parseStopArgs(args: string[], verb: string, usage: string): StopArgs {
  const p = parseFlags(args, [
    { name: "time", short: "t", type: "string", aliases: ["timeout"] },
    { name: "signal", short: "s", type: "string" },
    { name: "help", type: "bool" },
  ]);
  const help = bool(p, "help");
  if (!help && !p.positionals.length) {
    throw new UsageError(`"${verb}" requires at least 1 argument`, {
      hint: usage.split("\n")[0],
    });
  }
  const t = str(p, "time");
  if (!help && t !== undefined && !/^-?[0-9]+$/.test(t)) {
    throw new FlagError(`invalid argument "${t}" for "-t, --time" flag`);
  }
  return {
    help,
    refs: p.positionals,
    options: (rec) => ({
      timeoutSec: t !== undefined ? Number(t) : rec.config.stopTimeout ?? 10,
      signal: str(p, "signal"),
    }),
  };
}

/** `tsbox stop`. */
export const main: Command = async (args, ctx) => {
  const a = parseStopArgs(args, "stop", USAGE);
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  return await forEachRef(a.refs, async (ref) => {
    const rec = findContainer(ctx.paths, ref);
    markManualStop(ctx.paths, rec); // a restart policy must not undo a stop
    await stopContainer(ctx.paths, rec, a.options(rec));
    return ref;
  });
};
