/**
 * The network store: one CNI conflist per network under `paths.networks`
 * (`<name>.conflist`), plus the plugins' state kept under the same root,
 * never in the system-wide /var/lib/cni: host-local leases (`ipam/`),
 * tuning backups (`tuning/`), tsbox's attachment records (`attachments/`)
 * and persistent netns handles (`netns/`).
 * @module
 */

import { join } from "../posix_path.ts";
import { NetworkError, UsageError } from "../errors.ts";
import { readJsonIfExists, withLock, writeJsonAtomic } from "../fsutil.ts";
import { listRecords } from "./records.ts";
import type { Paths } from "../paths.ts";
import { listContainers } from "../container/store.ts";
import {
  buildBridgeConflist,
  type Conflist,
  isConflist,
  networkInfoOf,
  validGateway,
} from "./conflist.ts";
import { bridgeNameFor, createBridge, deleteBridge } from "./bridge.ts";
import { type Cidr, formatIPv4, parseCidr, unusableSubnet } from "./ipv4.ts";
import { DEFAULT_NETWORK, NETWORK_NAME } from "./options.ts";
import { chooseSubnet, defaultPool, hostCidrs, overlapping, userPool } from "./subnet.ts";
import { netDirs } from "./dirs.ts";
import { logEvent, networkEvent } from "../container/events.ts";

export { type NetDirs, netDirs } from "./dirs.ts";

/** Lock serialising network create/remove in one state root. */
export function storeLock(paths: Paths): string {
  return join(paths.locks, "networks.lock");
}

/** Path of network `name`'s conflist. */
export function conflistPath(paths: Paths, name: string): string {
  return join(paths.networks, `${name}.conflist`);
}

/** Read one network, or `undefined` when it does not exist. */
export function readNetwork(paths: Paths, name: string): Conflist | undefined {
  if (!NETWORK_NAME.test(name)) return undefined;
  const v = readJsonIfExists<unknown>(conflistPath(paths, name));
  if (v === undefined) return undefined;
  if (!isConflist(v)) {
    throw new NetworkError(`network ${name}: ${conflistPath(paths, name)} is not a CNI conflist`);
  }
  return v;
}

/**
 * The network `ref` names: its name, else a unique id prefix of at least 6
 * hex digits (docker takes ids too); `undefined` when there is none.
 */
export function lookupNetwork(paths: Paths, ref: string): Conflist | undefined {
  const byName = readNetwork(paths, ref);
  if (byName || ref.length < 6 || !/^[0-9a-f]+$/.test(ref)) return byName;
  const hits = listNetworks(paths).filter((n) => networkInfoOf(n).id.startsWith(ref));
  return hits.length === 1 ? hits[0] : undefined;
}

/** All networks of the store, by name. */
export function listNetworks(paths: Paths): Conflist[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.networks)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // no network was ever created
    throw err;
  }
  return entries.filter((e) => e.isFile && e.name.endsWith(".conflist"))
    .map((e) => readNetwork(paths, e.name.slice(0, -".conflist".length)))
    .filter((l): l is Conflist => l !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What `network create` asks for. */
export interface CreateRequest {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

/** Names that are modes, not networks. */
const RESERVED = new Set(["none", "host", "default"]);

/**
 * Validate a create request without side effects.
 * @throws {UsageError} bad name, reserved name, bad subnet or gateway.
 */
export function validateCreate(req: CreateRequest, allowDefault = false): void {
  if (!NETWORK_NAME.test(req.name)) {
    throw new UsageError(
      `invalid network name "${req.name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`,
    );
  }
  if (RESERVED.has(req.name) || (!allowDefault && req.name === DEFAULT_NETWORK)) {
    throw new UsageError(`network name "${req.name}" is reserved`);
  }
  if (req.subnet !== undefined) {
    const c = parseCidr(req.subnet);
    if (!c) {
      throw new UsageError(
        `invalid subnet "${req.subnet}": expected an IPv4 network like 10.90.0.0/24`,
      );
    }
    if (c.prefixLen > 30 || c.prefixLen < 8) {
      throw new UsageError(`invalid subnet "${req.subnet}": prefix must be /8 to /30`);
    }
    const special = unusableSubnet(c);
    if (special) {
      throw new UsageError(`invalid subnet "${req.subnet}": it overlaps the ${special} range`);
    }
  }
  if (req.gateway !== undefined) {
    if (req.subnet === undefined) throw new UsageError("--gateway needs --subnet");
    if (!validGateway(req.subnet, req.gateway)) {
      throw new UsageError(`invalid gateway "${req.gateway}": not a host address of ${req.subnet}`);
    }
  }
}

/**
 * Create a bridge network: choose or check its subnet, create the host
 * bridge with the gateway address, store the conflist, log docker's
 * network `create` event. Requires root.
 * @throws {UsageError} invalid request or subnet overlapping the host or another network.
 * @throws {NetworkError} name taken, no free subnet, bridge creation failed.
 */
export async function createNetwork(
  paths: Paths,
  req: CreateRequest,
  allowDefault = false,
): Promise<Conflist> {
  validateCreate(req, allowDefault);
  return await withLock(storeLock(paths), async () => {
    if (readNetwork(paths, req.name)) {
      throw new NetworkError(`network with name ${req.name} already exists`);
    }
    const others = listNetworks(paths).map((l) => parseCidr(networkInfoOf(l).subnet))
      .filter((c): c is Cidr => c !== undefined);
    const taken = [...await hostCidrs(), ...others];
    let subnet = req.subnet;
    if (subnet !== undefined) {
      const c = parseCidr(subnet)!;
      if (taken.some((t) => overlapping(c, t))) {
        throw new UsageError(`subnet ${subnet} overlaps a host route or another network`);
      }
    } else {
      subnet = chooseSubnet(req.name === DEFAULT_NETWORK ? defaultPool() : userPool(), taken);
      if (!subnet) {
        throw new NetworkError("no free private subnet left for a new network", {
          hint: "use --subnet",
        });
      }
    }
    const c = parseCidr(subnet)!;
    const gateway = req.gateway ?? formatIPv4(c.network + 1);
    const dirs = netDirs(paths);
    const bridge = await bridgeNameFor(paths.root, req.name);
    const list = buildBridgeConflist({
      name: req.name,
      bridge,
      subnet,
      gateway,
      internal: req.internal ?? false,
      labels: req.labels ?? {},
      id: randomId(),
      created: new Date().toISOString(),
      ipamDir: dirs.ipam,
      tuningDir: dirs.tuning,
    });
    await createBridge(bridge, gateway, c.prefixLen);
    try {
      writeJsonAtomic(conflistPath(paths, req.name), list);
    } catch (err) {
      await deleteBridge(bridge);
      throw err;
    }
    logEvent(paths, networkEvent("create", networkInfoOf(list)));
    return list;
  });
}

/** The default `bridge` network, created on first use. Requires root the first time. */
export async function ensureDefaultNetwork(paths: Paths): Promise<Conflist> {
  const existing = readNetwork(paths, DEFAULT_NETWORK);
  if (existing) return existing;
  try {
    return await createNetwork(paths, { name: DEFAULT_NETWORK }, true);
  } catch (err) {
    // another tsbox created it between our read and our lock
    const raced = readNetwork(paths, DEFAULT_NETWORK);
    if (raced) return raced;
    throw err;
  }
}

/** Network name a container config refers to (its attachment record, else its spec), or `undefined`. */
export function networkOfConfig(
  config: { spec?: { network?: string }; network?: unknown },
): string | undefined {
  const rec = config.network as { network?: unknown } | undefined;
  if (rec && typeof rec.network === "string") {
    return rec.network === "default" ? DEFAULT_NETWORK : rec.network;
  }
  const n = config.spec?.network;
  if (n === undefined) return undefined;
  return n === "" || n === "default" ? DEFAULT_NETWORK : n;
}

/**
 * Every network a container config is on: the endpoints `network connect`
 * and `disconnect` keep, else the one of `networkOfConfig`.
 */
export function networksOfConfig(
  config: { spec?: { network?: string }; network?: unknown },
): string[] {
  const rec = config.network as { endpoints?: { network?: unknown }[] } | undefined;
  if (Array.isArray(rec?.endpoints)) {
    return rec.endpoints.map((e) => e.network).filter((n): n is string => typeof n === "string");
  }
  const one = networkOfConfig(config);
  return one === undefined ? [] : [one];
}

/** Names (or ids) of the containers that use network `name`, from their configs and live attachments. */
export function networkUsers(paths: Paths, name: string): string[] {
  const users = new Set<string>();
  for (const c of listContainers(paths)) {
    if (networksOfConfig(c.config).includes(name)) {
      users.add(c.config.name || c.config.id.slice(0, 12));
    }
  }
  for (const { attachment: a } of listRecords(netDirs(paths).attachments)) {
    if (a.network === name) users.add(a.containerName || a.containerId.slice(0, 12));
  }
  return [...users].sort();
}

/**
 * Remove network `name`: its conflist, its leases and its host bridge;
 * log docker's network `destroy` event. Requires root.
 * @throws {NetworkError} not found, or still used by containers (named).
 */
export async function removeNetwork(paths: Paths, name: string): Promise<void> {
  await withLock(storeLock(paths), async () => {
    const list = readNetwork(paths, name);
    if (!list) throw new NetworkError(`network ${name} not found`);
    const users = networkUsers(paths, name);
    if (users.length) {
      throw new NetworkError(`network ${name} is in use by container(s): ${users.join(", ")}`, {
        hint: "remove those containers first",
      });
    }
    await deleteBridge(networkInfoOf(list).bridge);
    try {
      Deno.removeSync(join(netDirs(paths).ipam, name), { recursive: true }); // plain lease files, no mounts
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // never attached: no lease dir
    }
    Deno.removeSync(conflistPath(paths, name));
    logEvent(paths, networkEvent("destroy", networkInfoOf(list)));
  });
}

function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
