/**
 * `tsbox network create|ls|inspect|rm|prune` — manage CNI bridge networks.
 * `host` and `none` are built in; `bridge` (the default) is created on first use.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { CliContext, Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { exitCodeOf, formatError, NetworkError, UsageError } from "../errors.ts";
import { type Conflist, networkInfoOf } from "../net/conflist.ts";
import { listRecords } from "../net/records.ts";
import {
  createNetwork,
  listNetworks,
  netDirs,
  networkUsers,
  readNetwork,
  removeNetwork,
} from "../net/store.ts";
import { DEFAULT_NETWORK } from "../net/options.ts";
import type { NetworkInfo } from "../net/types.ts";

const HELP = `Usage: tsbox network COMMAND

Manage networks

Commands:
  create [--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME
  ls [-q] [--format json]       List networks
  inspect NAME...               Show networks as JSON (with attached containers)
  rm NAME...                    Remove networks (refused while containers use them)
  prune [-f]                    Remove all unused user networks`;

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
  const l = readNetwork(ctx.paths, name) ??
    listNetworks(ctx.paths).find((n) => networkInfoOf(n).id.startsWith(name) && name.length >= 6);
  if (!l) throw new NetworkError(`network ${name} not found`);
  return networkInfoOf(l as Conflist);
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
  const labels: Record<string, string> = {};
  for (const l of list(p, "label")) {
    const eq = l.indexOf("=");
    if (eq === 0) throw new UsageError(`invalid label "${l}": expected KEY=VALUE`);
    if (eq < 0) labels[l] = "";
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
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

function ls(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [
    { name: "quiet", short: "q", type: "bool" },
    { name: "format", type: "string" },
    { name: "no-trunc", type: "bool" },
  ]);
  const format = str(p, "format");
  if (format !== undefined && format !== "json" && format !== "table") {
    throw new UsageError(`unsupported --format "${format}": json or table`);
  }
  const infos = allInfos(ctx);
  const id = (i: NetworkInfo) => (bool(p, "no-trunc") ? i.id : i.id.slice(0, 12));
  if (bool(p, "quiet")) {
    for (const i of infos) console.log(id(i));
  } else if (format === "json") {
    for (const i of infos) {
      console.log(JSON.stringify({
        ID: id(i),
        Name: i.name,
        Driver: i.driver,
        Scope: "local",
        Subnet: i.subnet,
        Gateway: i.gateway,
        Internal: i.internal,
        Labels: i.labels,
        CreatedAt: i.created,
      }));
    }
  } else {
    const rows = [
      ["NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET"],
      ...infos.map((i) => [id(i), i.name, i.driver, "local", i.subnet]),
    ];
    const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) {
      console.log(r.map((v, c) => (c < r.length - 1 ? v.padEnd(w[c] + 3) : v)).join(""));
    }
  }
  return 0;
}

function inspect(args: string[], ctx: CliContext): number {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  if (!p.positionals.length) throw new UsageError('"network inspect" requires at least 1 argument');
  const records = listRecords(netDirs(ctx.paths).attachments);
  const out = p.positionals.map((name) => {
    const i = findInfo(ctx, name);
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
    return {
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
    };
  });
  console.log(JSON.stringify(out, null, 4));
  return 0;
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
      code ||= exitCodeOf(err);
    }
  }
  return code;
}

async function prune(args: string[], ctx: CliContext): Promise<number> {
  const p = parseFlags(args, [
    { name: "force", short: "f", type: "bool" },
    { name: "filter", type: "list" },
  ]);
  if (p.positionals.length) {
    throw new UsageError(`"network prune" accepts no arguments`, {
      hint: "Usage: tsbox network prune [-f]",
    });
  }
  if (list(p, "filter").length) {
    throw new UsageError("network prune: --filter is not supported"); // pruning all instead would be worse
  }
  const removed: string[] = [];
  for (const l of listNetworks(ctx.paths)) {
    if (l.name === DEFAULT_NETWORK || networkUsers(ctx.paths, l.name).length) continue;
    await removeNetwork(ctx.paths, l.name);
    removed.push(l.name);
  }
  if (removed.length) console.log(["Deleted Networks:", ...removed].join("\n"));
  return 0;
}

/** `tsbox network SUBCOMMAND …`. Requires root for create/rm/prune (bridges). */
export const main: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
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
