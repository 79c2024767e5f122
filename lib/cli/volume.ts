/**
 * `tsbox volume create|ls|inspect|rm|prune` — manage named and anonymous
 * volumes in `<root>/volumes/` (docker's local driver semantics).
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { formatError, UsageError, VolumeError } from "../errors.ts";
import { createVolume, listVolumes, readVolume } from "../../volumes/store.ts";
import { pruneVolumes, removeVolume } from "../../volumes/cleanup.ts";
import { volumeUsers } from "../../volumes/usage.ts";
import { humanSize } from "../../volumes/size.ts";
import { invalidVolumeNameMessage, isValidVolumeName } from "../../volumes/names.ts";
import { validateVolumeOptions } from "../../volumes/volume_options.ts";
import { splitKeyValue } from "../../volumes/spec_common.ts";
import type { VolumeInfo } from "../../volumes/types.ts";
import { confirm } from "../container/confirm.ts";

const HELP = `Usage: tsbox volume COMMAND

Manage volumes

Commands:
  create [--label K=V]... [--opt K=V]... [NAME]   Create a volume (prints its name)
  ls [-q] [--format json] [--filter K=V]...       List volumes (filters: dangling, name, label, driver)
  inspect NAME...                                 Show volumes as JSON
  rm [-f] NAME...                                 Remove volumes (refused while a container uses them)
  prune [-f] [-a]                                 Remove unused anonymous volumes (-a: all unused)`;

function keyValues(items: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const [k, v] = splitKeyValue(item);
    if (k === "") throw new UsageError(`invalid ${what} "${item}": expected KEY=VALUE`);
    out[k] = v;
  }
  return out;
}

function create(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "label", type: "list" },
    { name: "opt", short: "o", type: "list" },
    { name: "driver", short: "d", type: "string" },
    { name: "name", type: "string" },
  ]);
  if (p.positionals.length > 1) {
    throw new UsageError('"volume create" takes at most 1 argument: [NAME]');
  }
  const flagName = str(p, "name");
  if (flagName !== undefined && p.positionals.length && flagName !== p.positionals[0]) {
    throw new UsageError(
      "conflicting options: either specify --name or provide positional arg, not both",
    );
  }
  const name = flagName ?? p.positionals[0];
  if (name !== undefined && !isValidVolumeName(name)) {
    throw new UsageError(invalidVolumeNameMessage(name));
  }
  const driver = str(p, "driver") ?? "local";
  if (driver !== "local") {
    throw new UsageError(`volume driver "${driver}" is not supported (only local)`);
  }
  const options = keyValues(list(p, "opt"), "option");
  const problem = validateVolumeOptions(options);
  if (problem) throw new UsageError(problem);
  const { info } = createVolume(ctx.paths, {
    name,
    labels: keyValues(list(p, "label"), "label"),
    options,
  });
  console.log(info.meta.Name);
  return 0;
}

type Filter = (v: VolumeInfo, used: boolean) => boolean;

function parseFilter(f: string): Filter {
  const [k, val] = splitKeyValue(f);
  switch (k) {
    case "dangling": {
      const want = ["true", "1"].includes(val)
        ? true
        : ["false", "0"].includes(val)
        ? false
        : undefined;
      if (want === undefined) {
        throw new UsageError(`invalid filter 'dangling=${val}': expected true or false`);
      }
      return (_v, used) => used !== want;
    }
    case "name":
      return (v) => v.meta.Name.includes(val);
    case "driver":
      return () => val === "local";
    case "label": {
      const [lk, lv] = splitKeyValue(val);
      const hasValue = val.includes("=");
      return (v) => Object.hasOwn(v.meta.Labels, lk) && (!hasValue || v.meta.Labels[lk] === lv);
    }
    default:
      throw new UsageError(`invalid filter '${k}' (valid: dangling, name, label, driver)`);
  }
}

function ls(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "quiet", short: "q", type: "bool" },
    { name: "format", type: "string" },
    { name: "filter", short: "f", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError('"volume ls" accepts no arguments');
  const format = str(p, "format");
  if (format !== undefined && format !== "json" && format !== "table") {
    throw new UsageError(`unsupported --format "${format}": json or table`);
  }
  const filters = list(p, "filter").map(parseFilter);
  const users = volumeUsers(ctx.paths);
  const vols = listVolumes(ctx.paths).filter((v) =>
    filters.every((f) => f(v, users.has(v.meta.Name)))
  );
  if (bool(p, "quiet")) {
    for (const v of vols) console.log(v.meta.Name);
  } else if (format === "json") {
    for (const v of vols) {
      console.log(JSON.stringify({
        Availability: "N/A",
        Driver: "local",
        Group: "N/A",
        Labels: Object.entries(v.meta.Labels).map(([k, val]) => `${k}=${val}`).join(","),
        Links: String(users.get(v.meta.Name)?.length ?? 0),
        Mountpoint: v.mountpoint,
        Name: v.meta.Name,
        Scope: "local",
        Size: "N/A",
        Status: "N/A",
      }));
    }
  } else {
    // docker's tabwriter: min width 10, padding 3
    console.log(`${"DRIVER".padEnd(10)}VOLUME NAME`);
    for (const v of vols) console.log(`${"local".padEnd(10)}${v.meta.Name}`);
  }
  return 0;
}

function inspect(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  if (!p.positionals.length) throw new UsageError('"volume inspect" requires at least 1 argument');
  const format = str(p, "format");
  if (format !== undefined && format !== "json") {
    throw new UsageError(`unsupported --format "${format}": json`);
  }
  const out: unknown[] = [];
  let code = 0;
  for (const name of p.positionals) {
    const v = readVolume(ctx.paths, name);
    if (!v) {
      console.error(formatError(new VolumeError(`No such volume: ${name}`)));
      code = 1;
      continue;
    }
    out.push({
      CreatedAt: v.meta.CreatedAt,
      Driver: "local",
      Labels: v.meta.Labels,
      Mountpoint: v.mountpoint,
      Name: v.meta.Name,
      Options: v.meta.Options,
      Scope: "local",
    });
  }
  console.log(JSON.stringify(out, null, 4));
  return code;
}

function rm(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "force", short: "f", type: "bool" }]);
  if (!p.positionals.length) throw new UsageError('"volume rm" requires at least 1 argument');
  let code = 0;
  for (const name of p.positionals) {
    try {
      if (removeVolume(ctx.paths, name, bool(p, "force"))) console.log(name);
    } catch (err) {
      // docker goes on with the other names and exits 1 at the end
      if (!(err instanceof VolumeError)) throw err;
      console.error(formatError(err));
      code = 1;
    }
  }
  return code;
}

async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "all", short: "a", type: "bool" },
  ]);
  if (p.positionals.length) throw new UsageError('"volume prune" accepts no arguments');
  const all = bool(p, "all");
  if (!bool(p, "force")) {
    const which = all ? "all local volumes" : "anonymous local volumes";
    if (
      !(await confirm(
        `WARNING! This will remove ${which} not used by at least one container.\nAre you sure you want to continue?`,
      ))
    ) {
      return 0;
    }
  }
  const { removed, reclaimed } = pruneVolumes(ctx.paths, all);
  if (removed.length) console.log(["Deleted Volumes:", ...removed, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}

/** `tsbox volume SUBCOMMAND …`. Requires root for create/rm/prune (state root). */
export const main: Command = (args, ctx) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "-h" || rest.includes("--help") || rest.includes("-h")) {
    console.log(HELP);
    return Promise.resolve(0);
  }
  try {
    switch (sub) {
      case "create":
        return Promise.resolve(create(rest, ctx));
      case "ls":
      case "list":
        return Promise.resolve(ls(rest, ctx));
      case "inspect":
        return Promise.resolve(inspect(rest, ctx));
      case "rm":
      case "remove":
        return Promise.resolve(rm(rest, ctx));
      case "prune":
        return prune(rest, ctx);
      default:
        throw new UsageError(`unknown volume command "${sub}"`, {
          hint: "see 'tsbox volume --help'",
        });
    }
  } catch (err) {
    return Promise.reject(err);
  }
};
