/**
 * `tsbox image ls|inspect|rm|prune|tag|save|load|import|pull` — image
 * management; most subcommands are the top-level commands under a new name.
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { COMMANDS } from "./commands.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { parseFilters } from "../filters.ts";
import { FilterError, TsboxError, UsageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { inspectImage } from "../image/inspect.ts";
import { humanSize } from "../image/format.ts";
import { formatInspect, writeOut } from "../template/format.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { confirm } from "../container/confirm.ts";

const HELP = `Usage: tsbox image COMMAND

Manage images

Commands:
  ls        List images (same as 'tsbox images')
  history   Show the history of an image
  inspect   Display detailed information on one or more images
  rm        Remove one or more images (same as 'tsbox rmi')
  prune     Remove unused images (-a: all unused; --filter is refused, not ignored)
  tag       Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  save      Save one or more images to a tar archive
  load      Load an image from a tar archive or STDIN
  import    Import the contents from a tarball to create a filesystem image
  pull      Download an image from a registry
  push      Upload an image to a registry
  history   Show the history of an image`;

// the table's loaders: each command stays its own module (and file of the bundle)
const ALIASES: Record<string, () => Promise<{ main: Command }>> = {
  ls: COMMANDS.images.load,
  list: COMMANDS.images.load,
  rm: COMMANDS.rmi.load,
  remove: COMMANDS.rmi.load,
  tag: COMMANDS.tag.load,
  save: COMMANDS.save.load,
  load: COMMANDS.load.load,
  import: COMMANDS.import.load,
  pull: COMMANDS.pull.load,
  push: COMMANDS.push.load,
  history: COMMANDS.history.load,
};

function inspect(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  if (!p.positionals.length) throw new UsageError(`"image inspect" requires at least 1 argument`);
  const store = new ImageStore(ctx.paths);
  const found: Record<string, unknown>[] = [];
  let failure: TsboxError | undefined;
  for (const ref of p.positionals) {
    try {
      found.push(inspectImage(store, ref));
    } catch (err) {
      // docker prints what it found and fails for the rest
      if (!(err instanceof TsboxError)) throw err;
      failure ??= err;
    }
  }
  const out = formatInspect(str(p, "format"), found);
  writeOut(out.text);
  if (out.errors.length) console.error(out.errors.map((e) => `tsbox: ${e}`).join("\n"));
  if (failure) throw failure;
  return out.errors.length ? 1 : 0;
}

/**
 * Image prune filters are refused, never ignored: the store's prune cannot
 * select by label or age yet, and ignoring them would delete what they keep.
 * @throws {FilterError} any filter (exit 1); unknown keys get docker's wording.
 */
export function refuseImagePruneFilters(filters: string[], what: string): void {
  const f = parseFilters(filters, ["dangling", "label", "label!", "until"]);
  if (f.size) {
    throw new FilterError(`${what}: --filter ${[...f.keys()].join(", ")} is not supported yet`, {
      hint: "nothing was removed",
    });
  }
}

async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "all", short: "a", type: "bool" },
    { name: "force", short: "f", type: "bool" },
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError(`"image prune" accepts no arguments`);
  refuseImagePruneFilters(list(p, "filter"), "image prune");
  const all = bool(p, "all");
  if (!bool(p, "force")) {
    const warning = all
      ? "WARNING! This will remove all images without at least one container associated to them."
      : "WARNING! This will remove all dangling images.";
    console.log(warning);
    if (!(await confirm("Are you sure you want to continue?"))) return 0;
  }
  const r = await new ImageStore(ctx.paths).prune({ all });
  if (r.deleted.length) {
    console.log("Deleted Images:");
    for (const u of r.untagged) console.log(`untagged: ${familiarName(parseReference(u))}`);
    for (const d of r.deleted) console.log(`deleted: ${d}`);
    console.log("");
  }
  console.log(`Total reclaimed space: ${humanSize(r.gc.reclaimed)}`);
  return 0;
}

/** Dispatch an image subcommand. */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(HELP);
    return 0;
  }
  if (sub === "inspect") return inspect(rest, ctx);
  if (sub === "prune") return await prune(rest, ctx);
  const alias = ALIASES[sub];
  if (!alias) {
    throw new UsageError(`unknown image command "${sub}"`, { hint: "see 'tsbox image --help'" });
  }
  return await (await alias()).main(rest, ctx);
};
