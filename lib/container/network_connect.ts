/**
 * `network connect` and `network disconnect` of one container, as docker
 * does them. A running container gets (or loses) an interface in its
 * network namespace through the same CNI attach its start uses (eth1,
 * eth2, …) and its hosts file follows; a created or exited one only has
 * its record changed, and its next start attaches every network it is on.
 * Every refusal is checked, with docker's words, before anything changes.
 * Lock order: the network store's lock (a network is not removed meanwhile),
 * then the container's. Requires root for a running container (CNI).
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { join } from "../posix_path.ts";
import { containerDir } from "../paths.ts";
import { ContainerError } from "../errors.ts";
import { withLock } from "../fsutil.ts";
import { findContainer } from "./lookup.ts";
import { withContainerLock } from "./lock.ts";
import { type LiveView, liveView } from "./live.ts";
import { type ContainerConfig, writeConfig } from "./store.ts";
import { attachNetwork, detachNetwork } from "../net/mod.ts";
import {
  attachmentTo,
  endpointsOf,
  givesDefaultRoute,
  liveAttachments,
  nextIfname,
  optionsFor,
  withAttachment,
  withoutNetwork,
} from "../net/endpoints.ts";
import { leasedOn, parseRequestedIP, requestedIPProblem } from "../net/endpoint_ip.ts";
import { ensureDefaultNetwork, lookupNetwork, storeLock } from "../net/store.ts";
import { DEFAULT_NETWORK, NETWORK_NAME } from "../net/options.ts";
import { writeAttachedHosts } from "../net/hosts_sync.ts";
import { resolveExtraHosts } from "../net/etc_files.ts";
import type { Conflist } from "../net/conflist.ts";
import type { EndpointConfig, NetworkRecord } from "../net/types.ts";

/** docker's ErrConflictSharedNetwork. */
export const ERR_SHARED_NETWORK =
  "container sharing network namespace with another container or host cannot be connected to any other network";
/** docker's ErrConflictHostNetwork. */
export const ERR_HOST_NETWORK =
  "container cannot be disconnected from host network or connected to host network";
/** docker's ErrConflictNoNetwork. */
export const ERR_NO_NETWORK =
  "container cannot be connected to multiple networks with one of the networks in private (none) mode";

/** What `network connect` asks for. */
export interface ConnectRequest {
  /** Network name or id. */
  network: string;
  /** `--ip`. */
  ip?: string;
  /** `--alias`. */
  aliases: string[];
}

/** The network record of `config` (none when absent). */
function networkOf(config: ContainerConfig): NetworkRecord {
  return (config.network ??
    {
      opts: { mode: "none", network: "none", ports: [], dns: [], extraHosts: [] },
    }) as NetworkRecord;
}

/** Names an alias may take (they become /etc/hosts names). */
const ALIAS = /^[a-zA-Z0-9_]([a-zA-Z0-9_.-]{0,252})$/;

/** A refusal docker's daemon gives: `Error response from daemon: …`, exit 1. */
function refused(message: string): ContainerError {
  return new ContainerError(message, { exitCode: 1 });
}

/** Refuse what a container in removal or being started cannot do. */
function assertSettled(config: ContainerConfig, v: LiveView): void {
  if (v.status === "removing" || v.status === "dead") {
    throw refused(
      `container ${config.id} is marked for removal and cannot be connected or disconnected to the network`,
    );
  }
  if (v.starting) {
    throw refused(`Container ${config.id} is restarting, wait until the container is running`);
  }
}

/**
 * Run `fn` on container `id`'s record under the network store's lock and
 * its own (in that order, as every network change takes them), once it is
 * neither being removed nor starting.
 */
function withSettledContainer(
  ctx: CliContext,
  id: string,
  fn: (config: ContainerConfig, v: LiveView) => Promise<void>,
): Promise<void> {
  return withLock(storeLock(ctx.paths), () =>
    withContainerLock(ctx.paths, id, async (rec) => {
      const v = liveView(rec);
      assertSettled(rec.config, v);
      await fn(rec.config, v);
    }));
}

/**
 * The network a bridged container may join, after docker's checks in its
 * order: the container's own mode, the pseudo networks, then the lookup.
 */
function joinable(ctx: CliContext, config: ContainerConfig, ref: string): Conflist | "default" {
  const net = networkOf(config);
  const mode = net.opts.mode;
  const epName = `endpoint with name ${config.name} already exists in network`;
  if (mode === "container") throw refused(ERR_SHARED_NETWORK);
  if (mode === "host") throw refused(ref === "host" ? `${epName} host` : ERR_SHARED_NETWORK);
  if (ref === "host") throw refused(ERR_HOST_NETWORK);
  if (ref === "none") throw refused(mode === "none" ? `${epName} none` : ERR_NO_NETWORK);
  if (mode === "none") throw refused(ERR_NO_NETWORK);
  if (mode === "slirp4netns") {
    throw refused("a container on a user-mode network (slirp4netns) cannot join a bridge network");
  }
  if (ctx.rootless) throw refused("rootless: a bridge network needs root");
  const list = lookupNetwork(ctx.paths, ref);
  if (list) return list;
  if (ref === DEFAULT_NETWORK) return "default"; // docker's built-in: created on first use
  throw refused(`network ${ref} not found`);
}

/**
 * The endpoint `req` asks for on network `list`, validated.
 * @param leased the network's leases (a running container's address is taken now;
 *   a stopped one's at its start, which refuses it then, as docker's does).
 */
function endpointFor(req: ConnectRequest, list: Conflist, leased: string[]): EndpointConfig {
  const name = list.name;
  let ip: string | undefined;
  if (req.ip !== undefined && req.ip !== "") {
    ip = parseRequestedIP(req.ip);
    if (!ip) throw refused(`invalid IPv4 address: ${req.ip}`);
    if (name === DEFAULT_NETWORK) {
      throw refused("user specified IP address is supported on user defined networks only");
    }
    const problem = requestedIPProblem(list, ip, leased);
    if (problem) throw refused(problem);
  }
  if (req.aliases.length && name === DEFAULT_NETWORK) {
    throw refused("network-scoped alias is supported only for containers in user defined networks");
  }
  const bad = req.aliases.find((a) => !ALIAS.test(a));
  if (bad !== undefined) throw refused(`invalid alias "${bad}": not a host name`);
  return {
    network: name,
    ...(ip ? { ip } : {}),
    ...(req.aliases.length ? { aliases: [...new Set(req.aliases)] } : {}),
  };
}

/**
 * Connect container `ref` to a network.
 * @throws {ContainerError} (exit 1) no such container or network, already
 *   connected, a none/host/container network mode, a bad or taken `--ip`.
 * @throws {NetworkError} the CNI attach failed (nothing of it is left).
 */
export async function connectContainer(
  ctx: CliContext,
  ref: string,
  req: ConnectRequest,
): Promise<void> {
  const found = findContainer(ctx.paths, ref);
  // checked unlocked first so that a refusal creates nothing, not even the default network
  let target = joinable(ctx, found.config, req.network);
  if (target === "default") target = await ensureDefaultNetwork(ctx.paths);
  const ensured = target;
  await withSettledContainer(ctx, found.config.id, async (config, v) => {
    const picked = joinable(ctx, config, req.network);
    const list = picked === "default" ? ensured : picked;
    const net = networkOf(config);
    if (endpointsOf(net).some((e) => e.network === list.name)) {
      throw refused(
        `endpoint with name ${config.name} already exists in network ${list.name}`,
      );
    }
    const ep = endpointFor(req, list, v.running ? leasedOn(ctx.paths, list.name) : []);
    const joined: NetworkRecord = { ...net, endpoints: [...endpointsOf(net), ep] };
    if (!v.running) {
      writeConfig(ctx.paths, { ...config, network: joined });
      return;
    }
    await attachRunning(ctx, config, joined, ep, v.pid);
  });
}

/** Attach the running container `config` (PID 1 `pid`) to endpoint `ep` and record it. */
async function attachRunning(
  ctx: CliContext,
  config: ContainerConfig,
  joined: NetworkRecord,
  ep: EndpointConfig,
  pid: number,
): Promise<void> {
  const att = await attachNetwork(ctx.paths, {
    containerId: config.id,
    containerName: config.name,
    hostname: config.hostname,
    netnsPath: `/proc/${pid}/ns/net`,
    opts: optionsFor(joined.opts, ep),
    ifname: nextIfname(liveAttachments(joined).map((a) => a.ifname)),
    endpoint: ep,
    defaultRoute: !liveAttachments(joined).some(givesDefaultRoute),
    kernel: ctx.kernel,
  });
  const next = withAttachment(joined, att);
  try {
    writeConfig(ctx.paths, { ...config, network: next });
  } catch (err) {
    await detachNetwork(ctx.paths, att, ctx.kernel);
    throw err;
  }
  const atts = liveAttachments(next);
  writeAttachedHosts(join(containerDir(ctx.paths, config.id), "hosts"), {
    hostname: config.hostname,
    containerName: config.name,
    attachments: atts,
    extraHosts: resolveExtraHosts(joined.opts, atts[0].gateway),
  });
}

/**
 * Disconnect container `ref` from network `network` (name or id; with
 * `force`, also a network that no longer exists, and the record is
 * changed even when the CNI DEL left something — the teardown sweeps it).
 * @throws {ContainerError} (exit 1) no such container or network, not connected, host mode.
 * @throws {NetworkError} the CNI DEL failed (without `force`).
 */
export async function disconnectContainer(
  ctx: CliContext,
  ref: string,
  network: string,
  force: boolean,
): Promise<void> {
  const found = findContainer(ctx.paths, ref);
  await withSettledContainer(ctx, found.config.id, async (config, v) => {
    const net = networkOf(config);
    const notConnected = (name: string) =>
      refused(`container ${config.id} is not connected to network ${name}`);
    if (network === "host") {
      throw net.opts.mode === "host" ? refused(ERR_HOST_NETWORK) : notConnected("host");
    }
    if (network === "none") {
      if (net.opts.mode !== "none") throw notConnected("none");
      throw refused("a container of --network none cannot leave the none network");
    }
    const list = lookupNetwork(ctx.paths, network);
    // docker: a stopped container (or -f) may leave a network that no longer exists
    if (!list && (v.running && !force || !NETWORK_NAME.test(network))) {
      throw refused(`network ${network} not found`);
    }
    const name = list?.name ?? network;
    if (!endpointsOf(net).some((e) => e.network === name)) throw notConnected(name);
    const att = v.running ? attachmentTo(net, name) : undefined;
    if (att) {
      try {
        await detachNetwork(ctx.paths, att, ctx.kernel);
      } catch (err) {
        if (!force) throw err;
        // its tsbox record stays: the container's teardown sweeps it
        console.error(`tsbox: warning: ${(err as Error).message}`);
      }
    }
    writeConfig(ctx.paths, { ...config, network: withoutNetwork(net, name) });
  });
}
