/**
 * `tsbox network create|ls|inspect|rm|prune|connect|disconnect` — manage
 * CNI bridge networks and the containers on them (network_connect.ts).
 * `host` and `none` are built in; `bridge` (the default) is created on first use.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "../posix_path.ts";
import type { CliContext, Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { FilterError, formatError, NetworkError, UsageError } from "../errors.ts";
import {
  anyOf,
  boolFilter,
  type Filters,
  matchLabels,
  matchNotLabels,
  matchPattern,
  parseFilters,
  parseUntil,
} from "../filters.ts";
import { formatInspect, formatList, writeOut } from "../template/format.ts";
import { goTime } from "../container/ps_view.ts";
import { confirm } from "../container/confirm.ts";
import { parseLabels } from "./labels.ts";
import { networkInfoOf } from "../net/conflist.ts";
import { listRecords } from "../net/records.ts";
import {
  createNetwork,
  listNetworks,
  lookupNetwork,
  netDirs,
  networkUsers,
  removeNetwork,
} from "../net/store.ts";
import { DEFAULT_NETWORK } from "../net/options.ts";
import type { NetworkInfo } from "../net/types.ts";
import { connect, disconnect } from "./network_connect.ts";
import { logEvent, networkEvent } from "../container/events.ts";

const HELP = `Usage: tsbox network COMMAND

Manage networks

Commands:
  create [--subnet CIDR] [--gateway IP] [--internal] [-d bridge] [--label K=V]... NAME
  ls [-q] [--no-trunc] [--format F] [-f K=V]...
                                List networks (filters: dangling, driver, id, label, name, scope, type)
  inspect [-f FORMAT] NAME...   Show networks as JSON (with attached containers)
  rm NAME...                    Remove networks (refused while containers use them)
  prune [-f] [--filter K=V]...  Remove all unused user networks (filters: label, label!, until)
  connect [--ip IP] [--alias NAME]... NETWORK CONTAINER
                                Connect a container to a network (a running one gets eth1, eth2, …)
  disconnect [-f|--force] NETWORK CONTAINER
                                Disconnect a container from a network

--format: "table", "json", "table TEMPLATE" or a Go template ({{.Name}}, {{.Label "k"}}, …).`;

/** Built-in pseudo networks (no CNI config). */
function builtin(name: "host" | "none"): NetworkInfo {
  return {
    name,
    id: createHash("sha256").update(`tsbox builtin network ${name}`).digest("hex"),
    driver: name === "host" ? "host" : "null",
    created: "",
    subnet: "",
    gateway: "",
    bridge: "",
    internal: false,
    labels: {},
  };
}

function allInfos(ctx: CliContext): NetworkInfo[] {
  return [...listNetworks(ctx.paths).map(networkInfoOf), builtin("host"), builtin("none")];
}

function findInfo(ctx: CliContext, name: string): NetworkInfo {
  if (name === "host" || name === "none") return builtin(name);
  const l = lookupNetwork(ctx.paths, name);
  if (!l) throw new NetworkError(`network ${name} not found`);
  return networkInfoOf(l);
}

async function create(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "subnet", type: "string" },
    { name: "gateway", type: "string" },
    { name: "internal", type: "bool" },
    { name: "label", type: "list" },
    { name: "driver", short: "d", type: "string" },
  ]);
  if (p.positionals.length !== 1) {
    throw new UsageError('"network create" requires exactly 1 argument: NAME');
  }
  const driver = str(p, "driver") ?? "bridge";
  if (driver !== "bridge") {
    throw new UsageError(`unsupported network driver "${driver}": only bridge`);
  }
  const labels = parseLabels(list(p, "label"));
  const conf = await createNetwork(ctx.paths, {
    name: p.positionals[0],
    subnet: str(p, "subnet"),
    gateway: str(p, "gateway"),
    internal: bool(p, "internal"),
    labels,
  });
  console.log(networkInfoOf(conf).id);
  return 0;
}

const LS_FILTER_KEYS = ["dangling", "driver", "id", "label", "name", "scope", "type"] as const;

/** The `network ls` row (docker's networkContext fields, JSON keys in its order). */
function row(i: NetworkInfo, noTrunc: boolean) {
  return {
    CreatedAt: i.created ? goTime(i.created) : "",
    Driver: i.driver,
    ID: noTrunc ? i.id : i.id.slice(0, 12),
    IPv4: "true",
    IPv6: "false",
    Internal: String(i.internal),
    Label: (name: string) => i.labels[name] ?? "",
    Labels: Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).sort().join(","),
    Name: i.name,
    Scope: "local",
  };
}

const HEADERS = {
  CreatedAt: "CREATED",
  Driver: "DRIVER",
  ID: "NETWORK ID",
  IPv4: "IPV4",
  IPv6: "IPV6",
  Internal: "INTERNAL",
  Label: (_k: string) => "LABEL",
  Labels: "LABELS",
  Name: "NAME",
  Scope: "SCOPE",
};

function matchNetwork(ctx: CliContext, i: NetworkInfo, f: Filters): boolean {
  const builtinNet = i.name === "host" || i.name === "none" || i.name === DEFAULT_NETWORK;
  // docker: a dangling network is a user network no container uses
  const dangling = () => !builtinNet && networkUsers(ctx.paths, i.name).length === 0;
  return anyOf(f, "dangling", (v) => boolFilter("dangling", v) === dangling()) &&
    anyOf(f, "driver", (v) => v === i.driver) &&
    anyOf(f, "id", (v) => i.id.startsWith(v)) &&
    anyOf(f, "name", (v) => matchPattern(v, i.name)) &&
    anyOf(f, "scope", (v) => v === "local") &&
    anyOf(f, "type", (v) => v === (builtinNet ? "builtin" : "custom")) &&
    matchLabels(i.labels, f.get("label"));
}

function ls(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "quiet", short: "q", type: "bool" },
    { name: "format", type: "string" },
    { name: "no-trunc", type: "bool" },
    { name: "filter", short: "f", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError('"network ls" accepts no arguments');
  const f = parseFilters(list(p, "filter"), LS_FILTER_KEYS);
  for (const v of f.get("type") ?? []) {
    if (v !== "custom" && v !== "builtin") {
      throw new FilterError(`invalid filter: 'type'='${v}'`);
    }
  }
  for (const v of f.get("dangling") ?? []) boolFilter("dangling", v);
  const infos = allInfos(ctx).filter((i) => matchNetwork(ctx, i, f));
  const rows = infos.map((i) => row(i, bool(p, "no-trunc")));
  const fmt = str(p, "format");
  if (bool(p, "quiet") && (fmt === undefined || fmt.trim() === "table")) {
    writeOut(rows.map((r) => r.ID + "\n").join(""));
    return 0;
  }
  writeOut(formatList(fmt, rows, {
    defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
    headers: HEADERS,
    typeName: "*formatter.networkContext",
  }));
  return 0;
}

function inspect(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  if (!p.positionals.length) throw new UsageError('"network inspect" requires at least 1 argument');
  const records = listRecords(netDirs(ctx.paths).attachments);
  const errors: string[] = [];
  const out = p.positionals.flatMap((name) => {
    let i: NetworkInfo;
    try {
      i = findInfo(ctx, name);
    } catch (err) {
      // docker prints what it found and reports the rest
      if (!(err instanceof NetworkError)) throw err;
      errors.push(formatError(err));
      return [];
    }
    const containers: Record<string, unknown> = {};
    for (const { attachment: a, state } of records) {
      if (a.network !== i.name) continue;
      containers[a.containerId] = {
        Name: a.containerName,
        IPv4Address: a.ip ? `${a.ip}/${a.prefixLen}` : "",
        MacAddress: a.mac,
        Ports: a.ports,
        State: state,
      };
    }
    return [{
      Name: i.name,
      Id: i.id,
      Created: i.created,
      Scope: "local",
      Driver: i.driver,
      Internal: i.internal,
      IPAM: {
        Driver: i.subnet ? "host-local" : "",
        Config: i.subnet ? [{ Subnet: i.subnet, Gateway: i.gateway }] : [],
      },
      Options: i.bridge ? { "com.docker.network.bridge.name": i.bridge } : {},
      Labels: i.labels,
      Containers: containers,
      ConfigFile: i.subnet ? join(ctx.paths.networks, `${i.name}.conflist`) : "",
    }];
  });
  const res = formatInspect(str(p, "format"), out);
  writeOut(res.text);
  errors.push(...res.errors.map((e) => `tsbox: ${e}`));
  if (errors.length) console.error(errors.join("\n"));
  return errors.length ? 1 : 0;
}

async function rm(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, []);
  if (!p.positionals.length) throw new UsageError('"network rm" requires at least 1 argument');
  let code = 0;
  for (const name of p.positionals) {
    try {
      if (name === "host" || name === "none") {
        throw new NetworkError(`${name} is a pre-defined network and cannot be removed`);
      }
      await removeNetwork(ctx.paths, name);
      console.log(name);
    } catch (err) {
      // docker goes on with the other names and fails at the end
      if (p.positionals.length === 1) throw err;
      console.error(formatError(err));
      code = 1; // docker: any failed name makes the command exit 1
    }
  }
  return code;
}

async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) throw new UsageError('"network prune" accepts no arguments');
  const f = parseFilters(list(p, "filter"), ["label", "label!", "until"]);
  const until = f.get("until")?.map((v) => parseUntil(v));
  if (!bool(p, "force")) {
    const ok = await confirm(
      "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?",
    );
    if (!ok) return 0;
  }
  const removed: string[] = [];
  for (const l of listNetworks(ctx.paths)) {
    if (l.name === DEFAULT_NETWORK || networkUsers(ctx.paths, l.name).length) continue;
    const i = networkInfoOf(l);
    if (!matchLabels(i.labels, f.get("label")) || !matchNotLabels(i.labels, f.get("label!"))) {
      continue;
    }
    if (until && !until.every((t) => Date.parse(i.created) < t)) continue;
    await removeNetwork(ctx.paths, l.name);
    removed.push(l.name);
  }
  // docker's: one prune event with no actor after the destroys (a bridge frees no disk space)
  logEvent(ctx.paths, networkEvent("prune", undefined, { reclaimed: "0" }));
  if (removed.length) console.log(["Deleted Networks:", ...removed, ""].join("\n"));
  return 0;
}

/** `tsbox network SUBCOMMAND …`. Requires root for create/rm/prune (bridges). */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (sub === "connect") return await connect(rest, ctx);
  if (sub === "disconnect") return await disconnect(rest, ctx);
  if (!sub || sub === "--help" || sub === "-h" || rest.includes("--help")) {
    console.log(HELP);
    return 0;
  }
  switch (sub) {
    case "create":
      return await create(rest, ctx);
    case "ls":
    case "list":
      return ls(rest, ctx);
    case "inspect":
      return inspect(rest, ctx);
    case "rm":
    case "remove":
      return await rm(rest, ctx);
    case "prune":
      return await prune(rest, ctx);
    default:
      throw new UsageError(`unknown network command "${sub}"`, {
        hint: "see 'tsbox network --help'",
      });
  }
};
