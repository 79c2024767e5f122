/**
 * `tsbox builder prune [-f]`: drop the build cache (see lib/build/cache.ts)
 * and reclaim the content no image uses. Errors exit 1.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { exitOne } from "./exit_one.ts";
import { humanSize } from "../image/format.ts";
import { ImageStore } from "../image/store.ts";
import { confirm } from "../container/confirm.ts";
import { pruneBuildCache } from "../build/cache.ts";

const HELP = `Usage: tsbox builder COMMAND

Manage builds

Commands:
  prune   Remove the build cache (-f: no prompt)`;

/** `tsbox builder …`. */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(HELP);
    return 0;
  }
  try {
    if (sub !== "prune") throw new UsageError(`unknown command "builder ${sub}"`, { hint: HELP });
    const p = parseFlags(rest, [
      { name: "force", short: "f", type: "bool" },
      { name: "all", short: "a", type: "bool" },
    ]);
    if (p.positionals.length) throw new UsageError(`"builder prune" accepts no arguments`);
    if (
      !bool(p, "force") &&
      !(await confirm(
        "WARNING! This will remove all dangling build cache. Are you sure you want to continue?",
      ))
    ) return 0;
    const store = new ImageStore(ctx.paths);
    try {
      const r = await pruneBuildCache(store);
      console.log(`Deleted build cache objects: ${r.entries}`);
      console.log(`Total reclaimed space: ${humanSize(r.reclaimed)}`);
    } finally {
      store.close();
    }
    return 0;
  } catch (err) {
    throw exitOne(err);
  }
};
