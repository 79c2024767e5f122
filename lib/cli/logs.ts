/**
 * `tsbox logs [-f] [-t] [-n|--tail N] [--since T] [--until T] CONTAINER`.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { ContainerError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { parseTimeArg, showLogs } from "../container/logs.ts";
import { daemonError } from "../container/cli_report.ts";

const USAGE = `Usage: tsbox logs [OPTIONS] CONTAINER

Fetch the logs of a container (foreground and detached runs alike log to a json file)

Options:
  -f, --follow         follow log output until the container stops
      --since T        show logs since a timestamp or relative time (e.g. 42m)
  -n, --tail N         number of lines to show from the end (default "all")
  -t, --timestamps     show timestamps
      --until T        show logs before a timestamp or relative time`;

/** `tsbox logs`. */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "follow", short: "f", type: "bool" },
    { name: "timestamps", short: "t", type: "bool" },
    { name: "tail", short: "n", type: "string" },
    { name: "since", type: "string" },
    { name: "until", type: "string" },
    { name: "details", type: "bool" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length !== 1) {
    throw new UsageError(`"logs" requires exactly 1 argument`, { hint: USAGE.split("\n")[0] });
  }
  const tailArg = str(p, "tail");
  let tail: number | undefined;
  if (tailArg !== undefined && tailArg !== "all") {
    tail = Number(tailArg);
    if (!/^-?[0-9]+$/.test(tailArg)) throw new UsageError(`invalid value for "tail": ${tailArg}`);
    if (tail < 0) tail = undefined; // docker: a negative tail means all
  }
  const since = str(p, "since");
  const until = str(p, "until");
  const opts = {
    follow: bool(p, "follow"),
    timestamps: bool(p, "timestamps"),
    tail,
    since: since === undefined ? undefined : parseTimeArg(since),
    until: until === undefined ? undefined : parseTimeArg(until),
  };
  return await daemonError(async () => {
    const rec = findContainer(ctx.paths, p.positionals[0]);
    if (rec.config.logConfig?.Type === "none") {
      throw new ContainerError("configured logging driver does not support reading", {
        exitCode: 1,
      });
    }
    await showLogs(ctx.paths, rec.config.id, opts);
    return 0;
  });
};
