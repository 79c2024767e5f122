/**
 * `tsbox container COMMAND`: the container commands under one name
 * (`container ls` = `ps`), plus `container prune`.
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { COMMANDS } from "./commands.ts";
import { bool, list, parseFlags } from "./flags.ts";
import { matchLabels, matchNotLabels, parseFilters, parseUntil } from "../filters.ts";
import { containerLabels } from "../container/ps_view.ts";
import type { ContainerRecord } from "../container/store.ts";
import { UsageError } from "../errors.ts";
import { humanSize } from "../image/format.ts";
import { pruneContainers } from "../container/prune.ts";
import { confirm } from "../container/confirm.ts";

const HELP = `Usage: tsbox container COMMAND

Manage containers

Commands:
  create    Create a new container
  exec      Execute a command in a running container
  inspect   Display detailed information on one or more containers
  kill      Kill one or more running containers
  logs      Fetch the logs of a container
  ls        List containers (also: list, ps)
  pause     Pause all processes within one or more containers
  port      List port mappings or a specific mapping for the container
  prune     Remove stopped containers (--filter label=…, label!=…, until=…)
  rename    Rename a container
  restart   Restart one or more containers
  rm        Remove one or more containers (also: remove)
  run       Create and run a new container
  start     Start one or more stopped containers
  stats     Display a live stream of container resource usage
  stop      Stop one or more running containers
  top       Display the running processes of a container
  unpause   Unpause all processes within one or more containers
  update    Update the limits and restart policy of one or more containers
  wait      Block until one or more containers stop, then print their exit codes

Run 'tsbox container COMMAND --help' for the options of a command.`;

// the table's loaders: each command stays its own module (and file of the bundle)
const ALIASES: Record<string, () => Promise<{ main: Command }>> = {
  ls: COMMANDS.ps.load,
  list: COMMANDS.ps.load,
  ps: COMMANDS.ps.load,
  create: COMMANDS.create.load,
  exec: COMMANDS.exec.load,
  kill: COMMANDS.kill.load,
  logs: COMMANDS.logs.load,
  rename: COMMANDS.rename.load,
  rm: COMMANDS.rm.load,
  remove: COMMANDS.rm.load,
  run: COMMANDS.run.load,
  start: COMMANDS.start.load,
  stop: COMMANDS.stop.load,
  top: COMMANDS.top.load,
  wait: COMMANDS.wait.load,
  stats: COMMANDS.stats.load,
  port: COMMANDS.port.load,
  restart: COMMANDS.restart.load,
  pause: COMMANDS.pause.load,
  unpause: COMMANDS.unpause.load,
  update: COMMANDS.update.load,
};

/** `container prune [-f] [--filter label=…|label!=…|until=…]`. */
export async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError(`"container prune" accepts no arguments`);
  const f = parseFilters(list(p, "filter"), ["label", "label!", "until"]);
  const until = f.get("until")?.map((v) => parseUntil(v));
  // no filter: everything stopped, corrupt records too
  const select = list(p, "filter").length === 0 ? undefined : (rec: ContainerRecord) => {
    const labels = containerLabels(rec);
    return matchLabels(labels, f.get("label")) && matchNotLabels(labels, f.get("label!")) &&
      (!until || until.every((t) => Date.parse(rec.config.created) < t));
  };
  if (!bool(p, "force")) {
    const ok = await confirm(
      "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
    );
    if (!ok) return 0;
  }
  const r = await pruneContainers(ctx, select);
  if (r.deleted.length) console.log(["Deleted Containers:", ...r.deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(r.reclaimed)}`);
  return 0;
}

/** `tsbox container …`. */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(HELP);
    return 0;
  }
  if (sub === "prune") return await prune(rest, ctx);
  if (sub === "inspect") {
    return await (await COMMANDS.inspect.load()).main(["--type", "container", ...rest], ctx);
  }
  const load = ALIASES[sub];
  if (!load) {
    throw new UsageError(`unknown container command "${sub}"`, {
      hint: "see 'tsbox container --help'",
    });
  }
  return await (await load()).main(rest, ctx);
};
