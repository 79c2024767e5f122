/**
 * Attaching a container's netns to a bridge network (CNI ADD) and
 * detaching it again (CNI DEL + sweep). Teardown is idempotent and works
 * from tsbox's own record after a crash, after the container's processes
 * are gone, and after the netns itself was deleted. Requires root.
 * @module
 */

import { join } from "../posix_path.ts";
import { NetworkError } from "../errors.ts";
import { withLock } from "../fsutil.ts";
import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { type CniRuntime, planCni } from "./cni_plan.ts";
import { runAdd, runAll } from "./cni_exec.ts";
import {
  type Conflist,
  currentShape,
  hasContainerRules,
  networkInfoOf,
  requiredPlugins,
  tsboxMetaOf,
  withoutDefaultRoute,
} from "./conflist.ts";
import { ensureNetworkRules } from "./host_rules.ts";
import { assertHostPortsFree, resolveRandomPorts } from "./hostports.ts";
import { refreshPeerHosts } from "./hosts_sync.ts";
import { leftoversOf, publishedHostPorts, sweepIptables } from "./iptables.ts";
import { leaseOf, removeLeases } from "./leases.ts";
import { isMountPoint, pinNetns, unpinNetns } from "./netns_handle.ts";
import { findPlugin, requirePlugins, resolveCniPath } from "./plugins.ts";
import {
  attachmentKey,
  type AttachmentRecord,
  listRecords,
  readRecord,
  recordPathIn,
  recordsOf,
  removeRecord,
  writeRecord,
} from "./records.ts";
import { leasedOn, requestedIPProblem } from "./endpoint_ip.ts";
import { ensureDefaultNetwork, netDirs, readNetwork } from "./store.ts";
import { runOk } from "./run_cmd.ts";
import { DEFAULT_NETWORK } from "./options.ts";
import type { NetworkAttachment, NetworkOptions } from "./types.ts";
import { logEvent, networkEvent } from "../container/events.ts";

/** Interface name inside the container (of its first network). */
export const CONTAINER_IFNAME = "eth0";

/** CNI_CONTAINERID rule of the spec. */
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** What `attachNetwork` needs. */
export interface AttachRequest {
  containerId: string;
  containerName: string;
  hostname: string;
  /** The container's netns, e.g. `/proc/<pid>/ns/net` (pinned under the state root). */
  netnsPath: string;
  opts: NetworkOptions;
  /** Interface name inside the container (default eth0; `network connect` adds eth1, …). */
  ifname?: string;
  /** `network connect --ip` / `--alias` for this network. */
  endpoint?: { ip?: string; aliases?: string[] };
  /** False: no default route through this interface (another one of the container has it). */
  defaultRoute?: boolean;
  /** System calls (default: the real kernel). */
  kernel?: Kernel;
}

/** The network a bridge-mode container joins, creating the default one on first use. */
export async function networkFor(paths: Paths, opts: NetworkOptions): Promise<Conflist> {
  const list = readNetwork(paths, opts.network) ??
    (opts.network === DEFAULT_NETWORK ? await ensureDefaultNetwork(paths) : undefined);
  if (!list) {
    throw new NetworkError(`network ${opts.network} not found`, {
      hint: `create it: tsbox network create ${opts.network}`,
    });
  }
  return list;
}

/** The plugin dirs for `opts` (`--cni-path`, else TSBOX_CNI_PATH, else the defaults). */
export function cniPathOf(opts: { cniPath?: string[] }): string[] {
  return resolveCniPath(opts.cniPath, Deno.env.get("TSBOX_CNI_PATH"));
}

/** Address, prefix, gateway and MAC of the container interface in a CNI result. */
export function addressOf(result: Record<string, unknown>, ifname: string): {
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
} {
  const ifs = (result.interfaces ?? []) as { name?: string; mac?: string; sandbox?: string }[];
  const ips = (result.ips ?? []) as { address?: string; gateway?: string; interface?: number }[];
  const ipc =
    ips.find((i) =>
      i.interface !== undefined && ifs[i.interface]?.name === ifname && i.address?.includes(".")
    ) ??
      ips.find((i) => i.address?.includes("."));
  if (!ipc?.address) {
    throw new NetworkError("CNI result has no IPv4 address for the container", { op: "attach" });
  }
  const [ip, len] = ipc.address.split("/");
  const iface = ipc.interface !== undefined ? ifs[ipc.interface] : ifs.find((i) => i.sandbox);
  return { ip, prefixLen: Number(len), gateway: ipc.gateway ?? "", mac: iface?.mac ?? "" };
}

/**
 * CNI ADD for the container's netns on its bridge network: pins the netns,
 * checks and picks host ports, runs the plugin chain, and records the
 * result; logs docker's network `connect` event. On failure everything
 * done so far is undone.
 * @throws {UsageError} published ports on an internal network.
 * @throws {NetworkError} network missing, plugin missing or failing, port busy.
 */
export async function attachNetwork(paths: Paths, req: AttachRequest): Promise<NetworkAttachment> {
  const { opts, containerId } = req;
  if (opts.mode !== "bridge") {
    throw new NetworkError(`--network ${opts.mode} has no network attachment`);
  }
  if (!CONTAINER_ID.test(containerId)) {
    throw new NetworkError(`invalid container id "${containerId}"`);
  }
  const stored = currentShape(await networkFor(paths, opts));
  // the record keeps the list as used, so the DEL gets the same
  const list = req.defaultRoute === false ? withoutDefaultRoute(stored) : stored;
  const info = networkInfoOf(list);
  if (info.internal && opts.ports.length) {
    throw new NetworkError(`network ${info.name} is internal: ports cannot be published`);
  }
  const cniPath = cniPathOf(opts);
  requirePlugins(requiredPlugins(list), cniPath);
  // its masquerade and forwarding rules, which a reboot or a flush may have taken
  if (tsboxMetaOf(list)) await ensureNetworkRules(info);
  const dirs = netDirs(paths);
  const kernel = req.kernel ?? new LinuxKernel();
  const ifname = req.ifname ?? CONTAINER_IFNAME;
  const recordPath = recordPathIn(dirs.attachments, containerId, ifname);
  const ip = req.endpoint?.ip;
  const att: NetworkAttachment = {
    network: list.name,
    containerId,
    containerName: req.containerName,
    ifname,
    netnsPath: join(dirs.netns, attachmentKey(containerId, ifname)),
    ip: "",
    prefixLen: 0,
    gateway: info.gateway,
    mac: "",
    bridge: info.bridge,
    ...(req.endpoint?.aliases?.length ? { aliases: req.endpoint.aliases } : {}),
    ports: [],
    cniResult: {},
    cniPath,
    recordPath,
  };
  // Host ports are host-wide: pick and record them under one lock so that
  // parallel attachments see each other's choices before portmap runs.
  await withLock(join(paths.locks, "net-ports.lock"), async () => {
    if (readRecord(recordPath)) {
      throw new NetworkError(
        `container ${containerId.slice(0, 12)} already has an attachment as ${ifname}`,
      );
    }
    if (recordsOf(dirs.attachments, containerId).some((r) => r.attachment.network === list.name)) {
      throw new NetworkError(
        `container ${containerId.slice(0, 12)} is already attached to network ${list.name}`,
      );
    }
    // docker's words before any plugin runs; host-local itself refuses an address a
    // concurrent ADD took after this check
    const problem = ip ? requestedIPProblem(list, ip, leasedOn(paths, list.name)) : undefined;
    if (problem) throw new NetworkError(problem, { op: "attach" });
    if (opts.ports.length) {
      // what is published now (iptables' nat table: a process that reads the whole table)
      const published = [
        ...await publishedHostPorts(),
        ...listRecords(dirs.attachments).flatMap((r) => r.attachment.ports),
      ];
      await assertHostPortsFree(opts.ports, published);
      att.ports = await resolveRandomPorts(opts.ports, published);
    }
    pinNetns(kernel, req.netnsPath, att.netnsPath);
    writeRecord(recordPath, { state: "adding", attachment: att, conflist: list });
  });
  try {
    const rt = {
      ...runtimeOf(att, att.netnsPath),
      ...(opts.mac ? { mac: opts.mac } : {}),
      ...(ip ? { ip } : {}),
    };
    const plan = planCni("ADD", list, rt);
    const skipped = list.plugins.map((p) => p.type).filter((t) =>
      !plan.some((i) => i.plugin === t)
    );
    const result = await runAdd(plan, cniPath);
    const done: NetworkAttachment = {
      ...att,
      ...addressOf(result, att.ifname),
      cniResult: result,
      skipped,
    };
    writeRecord(recordPath, { state: "attached", attachment: done, conflist: list });
    // docker logs connect once the endpoint joined: at a start and at `network connect`
    logEvent(paths, networkEvent("connect", info, { container: containerId }));
    return done;
  } catch (err) {
    try {
      await detachNetwork(paths, att, kernel);
    } catch (undoErr) {
      throw new NetworkError(
        `${(err as Error).message} (and undoing it failed: ${(undoErr as Error).message})`,
        {
          op: "attach",
          cause: err,
        },
      );
    }
    throw err;
  }
}

function runtimeOf(att: NetworkAttachment, netns: string, cniPath = att.cniPath): CniRuntime {
  return {
    containerId: att.containerId,
    netns,
    ifname: att.ifname,
    cniPath,
    capabilities: { portMappings: att.ports },
  };
}

/**
 * A stand-in ADD result built from the lease, for a DEL after a crash
 * between ADD and recording its result (the firewall plugin needs the IPs).
 */
function resultFromLease(
  list: Conflist,
  att: NetworkAttachment,
  ip: string,
): Record<string, unknown> {
  const prefix = networkInfoOf(list).subnet.split("/")[1];
  return {
    cniVersion: list.cniVersion,
    interfaces: [{ name: att.ifname, sandbox: att.netnsPath }],
    ips: [{ address: `${ip}/${prefix}`, gateway: att.gateway, interface: 0 }],
  };
}

/**
 * CNI DEL for an attachment (plugins in reverse order), then sweep what a
 * DEL cannot reach when the netns is gone: the bridge plugin's masquerade
 * chain, the lease, and the firewall rules; unpin the netns; drop the record
 * and the container from its peers' hosts files; log docker's network
 * `disconnect` event when the attachment was complete. Idempotent.
 * @throws {NetworkError} when rules or leases of the attachment remain afterwards.
 */
export async function detachNetwork(
  paths: Paths,
  attachment: NetworkAttachment,
  kernel?: Kernel,
): Promise<void> {
  const k = kernel ?? new LinuxKernel();
  const dirs = netDirs(paths);
  const key = attachmentKey(attachment.containerId, attachment.ifname);
  const recordPath = recordPathIn(dirs.attachments, attachment.containerId, attachment.ifname);
  const rec: AttachmentRecord | undefined = readRecord(recordPath);
  const att = rec?.attachment ?? attachment;
  const list = rec?.conflist ?? readNetwork(paths, att.network);
  const handle = join(dirs.netns, key);
  const leaseDir = join(dirs.ipam, att.network);
  const ip = att.ip || leaseOf(leaseDir, att.containerId, att.ifname) || "";
  const errors: { plugin: string; error: NetworkError }[] = [];
  if (list) {
    // the recorded plugin dir may be gone (a removed --cni-path); fall back to the current one
    const recorded = att.cniPath ?? [];
    const cniPath = requiredPlugins(list).every((t) => findPlugin(t, recorded))
      ? recorded
      : cniPathOf({});
    const netns = isMountPoint(handle) ? handle : ""; // gone: the spec lets DEL run without a netns
    const prev = Object.keys(att.cniResult ?? {}).length
      ? att.cniResult
      : ip
      ? resultFromLease(list, att, ip)
      : undefined;
    // what the ADD skipped as idle has nothing to undo (a half ADD: every plugin)
    const plan = planCni("DEL", list, runtimeOf(att, netns, cniPath), prev)
      .filter((i) => !att.skipped?.includes(i.plugin));
    errors.push(...await runAll(plan, cniPath));
  }
  // Firewall rules carry no tag, only the IP, which may already be leased
  // again: sweep them by IP only when the firewall plugin could not.
  const fwIP = ip && (!list || errors.some((e) => e.plugin === "firewall")) ? ip : undefined;
  // rules of the container's own: from an older tsbox's shape, another's list, or portmap's
  const own = !list || !tsboxMetaOf(list) || hasContainerRules(list) ||
    (att.ports?.length ?? 0) > 0;
  const swept = own ? await sweepIptables(att.network, att.containerId, fwIP) : [];
  removeLeases(leaseDir, att.containerId);
  unpinNetns(k, handle);
  const left = await leftovers(att.network, att.containerId, fwIP, leaseDir, swept);
  if (left.length) {
    const why = errors.length ? `: ${errors.map((e) => e.error.message).join("; ")}` : "";
    throw new NetworkError(
      `detaching ${att.containerId.slice(0, 12)} from ${att.network} left ${left.join(", ")}${why}`,
      {
        op: "detach",
      },
    );
  }
  removeRecord(recordPath);
  // only what was logged as connected is logged as leaving (not an undone half attach)
  if (rec?.state === "attached") {
    const net = networkInfoOf(rec.conflist);
    logEvent(paths, networkEvent("disconnect", net, { container: att.containerId }));
  }
  try {
    // the peers forget it; its own hosts file keeps only its other networks
    const leaving = rec?.hosts
      ? { containerId: att.containerId, containerName: att.containerName, hosts: rec.hosts }
      : undefined;
    refreshPeerHosts(dirs.attachments, att.network, leaving);
  } catch (err) {
    // a full disk must not stop a teardown: the peers keep a stale line until the next refresh
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
    console.error(`tsbox: warning: could not update the hosts files of ${att.network}: disk full`);
  }
}

/**
 * What of the attachment is still on the host (empty when clean): its
 * lease, and its rules in `tables` (those the sweep found any in; a table
 * it found clean stays so, two `iptables` processes fewer per detach).
 */
async function leftovers(
  network: string,
  containerId: string,
  ip: string | undefined,
  leaseDir: string,
  tables: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const table of tables) {
    const rules = await runOk("iptables", ["-t", table, "-S"]);
    const l = await leftoversOf(rules, network, containerId, ip);
    if (l.rules.length || l.chains.length) out.push(`iptables ${table} rules`);
  }
  if (leaseOf(leaseDir, containerId)) out.push("an IP lease");
  return out;
}
