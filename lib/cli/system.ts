/**
 * `tsbox system df|info|prune`. `prune [-a] [-f] [--volumes]`: stopped containers, unused
 * networks, dangling (with -a: unused) images, and with --volumes unused
 * anonymous volumes — in that order, so what the containers held is free.
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { bool, list, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { humanSize } from "../image/format.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { ImageStore } from "../image/store.ts";
import { pruneVolumes, sweepVolumeLeftovers } from "../../volumes/cleanup.ts";
import { pruneContainers } from "../container/prune.ts";
import { confirm } from "../container/confirm.ts";

const HELP = `Usage: tsbox system COMMAND

Manage tsbox

Commands:
  boot    Start the containers their restart policy keeps up (always, unless-stopped); at boot
  df      Show disk usage (-v: per image, container and volume; --format)
  info    Display system-wide information (same as 'tsbox info')
  prune   Remove unused data (-a: all unused images, -f: no prompt, --volumes: anonymous volumes too;
          --filter is refused: tsbox cannot apply it to images yet)`;

function warning(all: boolean, volumes: boolean): string {
  return [
    "WARNING! This will remove:",
    "  - all stopped containers",
    "  - all networks not used by at least one container",
    ...(volumes ? ["  - all anonymous volumes not used by at least one container"] : []),
    all
      ? "  - all images without at least one container associated to them"
      : "  - all dangling images",
    "",
    "Are you sure you want to continue?",
  ].join("\n");
}

async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "all", short: "a", type: "bool" },
    { name: "force", short: "f", type: "bool" },
    { name: "volumes", type: "bool" },
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError(`"system prune" accepts no arguments`);
  // before any prompt or removal: a filter tsbox cannot apply to images is refused
  (await import("./image.ts")).refuseImagePruneFilters(list(p, "filter"), "system prune");
  const all = bool(p, "all");
  const volumes = bool(p, "volumes");
  if (!bool(p, "force") && !(await confirm(warning(all, volumes)))) return 0;

  const c = await pruneContainers(ctx);
  if (c.deleted.length) console.log(["Deleted Containers:", ...c.deleted, ""].join("\n"));
  await (await import("./network.ts")).main(["prune", "-f"], ctx);
  let reclaimed = c.reclaimed;
  sweepVolumeLeftovers(ctx.paths); // a killed `volume rm` or create: never a volume
  if (volumes) {
    const v = pruneVolumes(ctx.paths, false);
    if (v.removed.length) console.log(["Deleted Volumes:", ...v.removed, ""].join("\n"));
    reclaimed += v.reclaimed;
  }
  const store = new ImageStore(ctx.paths);
  try {
    const i = await store.prune({ all });
    if (i.deleted.length) {
      console.log("Deleted Images:");
      for (const u of i.untagged) console.log(`untagged: ${familiarName(parseReference(u))}`);
      for (const d of i.deleted) console.log(`deleted: ${d}`);
      console.log("");
    }
    reclaimed += i.gc.reclaimed;
  } finally {
    store.close();
  }
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}

/** `tsbox system …`. */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(HELP);
    return 0;
  }
  if (sub === "prune") return await prune(rest, ctx);
  if (sub === "df") return (await import("./system_df.ts")).systemDf(rest, ctx);
  if (sub === "boot") return await (await import("./system_boot.ts")).systemBoot(rest, ctx);
  if (sub === "info") return await (await import("./info.ts")).main(rest, ctx);
  throw new UsageError(`unknown system command "${sub}"`, { hint: "see 'tsbox system --help'" });
};
