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
import { parseLabels } from "./labels.ts";
import {
  anyOf,
  boolFilter,
  type Filters,
  matchLabels,
  matchNotLabels,
  matchPattern,
  parseFilters,
} from "../filters.ts";
import { formatInspect, formatList, writeOut } from "../template/format.ts";

const HELP = `Usage: tsbox volume COMMAND

Manage volumes

Commands:
  create [--label K=V]... [--opt K=V]... [NAME]   Create a volume (prints its name)
  ls [-q] [--format F] [-f K=V]...                List volumes (filters: dangling, name, label, driver)
  inspect [-f FORMAT] NAME...                     Show volumes as JSON, or through a Go template
  rm [-f] NAME...                                 Remove volumes (refused while a container uses them)
  prune [-f] [-a] [--filter K=V]...               Remove unused anonymous volumes (-a: all unused;
                                                  filters: label, label!, all)

--format: "table", "json", "table TEMPLATE" or a Go template ({{.Name}}, {{.Label "k"}}, …).`;

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
    labels: parseLabels(list(p, "label")),
    options,
  });
  console.log(info.meta.Name);
  return 0;
}

const LS_FILTER_KEYS = ["dangling", "driver", "label", "name"] as const;

/** The `volume ls` row (docker's volumeContext; JSON keys in its order). */
function row(v: VolumeInfo, links: number) {
  return {
    Availability: "N/A",
    Driver: "local",
    Group: "N/A",
    Label: (name: string) => v.meta.Labels[name] ?? "",
    Labels: Object.entries(v.meta.Labels).map(([k, val]) => `${k}=${val}`).sort().join(","),
    Links: String(links),
    Mountpoint: v.mountpoint,
    Name: v.meta.Name,
    Scope: "local",
    Size: "N/A",
    Status: "N/A",
  };
}

const HEADERS = {
  Availability: "AVAILABILITY",
  Driver: "DRIVER",
  Group: "GROUP",
  Label: (_k: string) => "LABEL",
  Labels: "LABELS",
  Links: "LINKS",
  Mountpoint: "MOUNTPOINT",
  Name: "VOLUME NAME",
  Scope: "SCOPE",
  Size: "SIZE",
  Status: "STATUS",
};

function matchVolume(v: VolumeInfo, used: boolean, f: Filters): boolean {
  return anyOf(f, "dangling", (val) => boolFilter("dangling", val) === !used) &&
    anyOf(f, "driver", (val) => val === "local") &&
    anyOf(f, "name", (val) => matchPattern(val, v.meta.Name)) &&
    matchLabels(v.meta.Labels, f.get("label"));
}

function ls(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "quiet", short: "q", type: "bool" },
    { name: "format", type: "string" },
    { name: "filter", short: "f", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError('"volume ls" accepts no arguments');
  const f = parseFilters(list(p, "filter"), LS_FILTER_KEYS);
  for (const v of f.get("dangling") ?? []) boolFilter("dangling", v);
  const users = volumeUsers(ctx.paths);
  const vols = listVolumes(ctx.paths).filter((v) => matchVolume(v, users.has(v.meta.Name), f));
  const fmt = str(p, "format");
  if (bool(p, "quiet") && (fmt === undefined || fmt.trim() === "table")) {
    writeOut(vols.map((v) => v.meta.Name + "\n").join(""));
    return 0;
  }
  const rows = vols.map((v) => row(v, users.get(v.meta.Name)?.length ?? 0));
  writeOut(formatList(fmt, rows, {
    defaultTable: "table {{.Driver}}\t{{.Name}}",
    headers: HEADERS,
    typeName: "*formatter.volumeContext",
  }));
  return 0;
}

function inspect(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  if (!p.positionals.length) throw new UsageError('"volume inspect" requires at least 1 argument');
  const out: unknown[] = [];
  const errors: string[] = [];
  for (const name of p.positionals) {
    const v = readVolume(ctx.paths, name);
    if (!v) {
      errors.push(formatError(new VolumeError(`No such volume: ${name}`)));
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
  const res = formatInspect(str(p, "format"), out);
  writeOut(res.text);
  errors.push(...res.errors.map((e) => `tsbox: ${e}`));
  if (errors.length) console.error(errors.join("\n"));
  return errors.length ? 1 : 0;
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
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError('"volume prune" accepts no arguments');
  const f = parseFilters(list(p, "filter"), ["label", "label!", "all"]);
  const all = bool(p, "all") || (f.get("all") ?? []).some((v) => boolFilter("all", v));
  const select = (v: VolumeInfo) =>
    matchLabels(v.meta.Labels, f.get("label")) && matchNotLabels(v.meta.Labels, f.get("label!"));
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
  const { removed, reclaimed } = pruneVolumes(ctx.paths, all, select);
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
