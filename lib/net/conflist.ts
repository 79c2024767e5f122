/**
 * CNI network configuration lists for tsbox networks (pure): what
 * `network create` stores and what the plugins are fed: bridge (+
 * host-local IPAM) → portmap → tuning, as podman's CNI backend, but with
 * the masquerade and the forwarding rules kept per network by tsbox
 * (lib/net/host_rules.ts, docker's way) instead of per container by the
 * bridge plugin's ipMasq and the firewall plugin.
 * @module
 */

import { formatIPv4, parseCidr, parseIPv4 } from "./ipv4.ts";
import type { NetworkInfo } from "./types.ts";

/** The CNI spec version tsbox writes and speaks. */
export const CNI_VERSION = "1.0.0";

/** One plugin entry of a conflist. */
export type PluginConf = Record<string, unknown> & { type: string };

/** A network configuration list (CNI spec "Network Configuration Lists"). */
export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

/** tsbox's own metadata, kept under the bridge plugin's `args` (which plugins must ignore). */
export interface TsboxMeta {
  id: string;
  created: string;
  internal: boolean;
  labels: Record<string, string>;
}

/** What a bridge network is made of. */
export interface BridgeNetworkSpec {
  name: string;
  /** Host bridge interface (≤ 15 chars). */
  bridge: string;
  /** IPv4 CIDR. */
  subnet: string;
  gateway: string;
  /** No masquerade, no default route, no published ports. */
  internal: boolean;
  labels: Record<string, string>;
  id: string;
  created: string;
  /** host-local `dataDir` (leases), under the state root. */
  ipamDir: string;
  /** tuning `dataDir` (settings backups), under the state root. */
  tuningDir: string;
}

/** Build the conflist for a bridge network. */
export function buildBridgeConflist(s: BridgeNetworkSpec): Conflist {
  const meta: TsboxMeta = { id: s.id, created: s.created, internal: s.internal, labels: s.labels };
  const bridge: PluginConf = {
    type: "bridge",
    bridge: s.bridge,
    isGateway: true,
    ipMasq: false, // per network: lib/net/host_rules.ts
    hairpinMode: true,
    ipam: {
      type: "host-local",
      dataDir: s.ipamDir,
      // an internal network gets no default route: it only reaches its own subnet
      routes: s.internal ? [] : [{ dst: "0.0.0.0/0" }],
      ranges: [[{ subnet: s.subnet, gateway: s.gateway }]],
    },
    args: { tsbox: meta },
  };
  const plugins: PluginConf[] = [bridge];
  if (!s.internal) {
    plugins.push({ type: "portmap", capabilities: { portMappings: true }, snat: true });
  }
  plugins.push({ type: "tuning", dataDir: s.tuningDir });
  return { cniVersion: CNI_VERSION, name: s.name, plugins };
}

/** tsbox's metadata of a list, when tsbox made it. */
export function tsboxMetaOf(list: Conflist): TsboxMeta | undefined {
  const br = list.plugins.find((p) => p.type === "bridge");
  return (br?.args as { tsbox?: TsboxMeta } | undefined)?.tsbox;
}

/**
 * A list tsbox made in its current shape: one an older tsbox stored has
 * the bridge plugin masquerade and a firewall plugin, whose per-container
 * rules the per-network ones replace. Others' lists are left alone.
 */
export function currentShape(list: Conflist): Conflist {
  if (!tsboxMetaOf(list) || !hasContainerRules(list)) return list;
  return {
    ...list,
    plugins: list.plugins.filter((p) => p.type !== "firewall").map((p) =>
      p.type === "bridge" ? { ...p, ipMasq: false } : p
    ),
  };
}

/** True when attachments of `list` leave per-container iptables rules (an older shape). */
export function hasContainerRules(list: Conflist): boolean {
  return list.plugins.some((p) => p.type === "firewall" || (p.type === "bridge" && p.ipMasq));
}

/** Every plugin binary a conflist needs (including IPAM plugins run by the main plugins). */
export function requiredPlugins(list: Conflist): string[] {
  const out: string[] = [];
  for (const p of list.plugins) {
    out.push(p.type);
    const ipam = p.ipam as { type?: string } | undefined;
    if (ipam?.type) out.push(ipam.type);
  }
  return out;
}

/** The default route's destination. */
const DEFAULT_DST = "0.0.0.0/0";

/**
 * `list` without the default route its IPAM hands out: for a container's
 * further interface, so that its default gateway stays where it was (docker
 * keeps one gateway endpoint per container).
 */
export function withoutDefaultRoute(list: Conflist): Conflist {
  return {
    ...list,
    plugins: list.plugins.map((p) => {
      const ipam = p.ipam as { routes?: { dst?: string }[] } | undefined;
      if (!ipam?.routes) return p;
      return { ...p, ipam: { ...ipam, routes: ipam.routes.filter((r) => r.dst !== DEFAULT_DST) } };
    }),
  };
}

/**
 * Read a stored conflist back into `NetworkInfo`.
 * @throws {Error} when the list is not a tsbox bridge network.
 */
export function networkInfoOf(list: Conflist): NetworkInfo {
  const br = list.plugins.find((p) => p.type === "bridge");
  if (!br) throw new Error(`network ${list.name} has no bridge plugin`);
  const meta = ((br.args as { tsbox?: TsboxMeta } | undefined)?.tsbox) ??
    { id: "", created: "", internal: false, labels: {} };
  const range =
    ((br.ipam as { ranges?: { subnet: string; gateway?: string }[][] })?.ranges ?? [[]])[0][0];
  const subnet = range?.subnet ?? "";
  let gateway = range?.gateway ?? "";
  const c = parseCidr(subnet);
  if (!gateway && c) gateway = formatIPv4(c.network + 1); // host-local's default
  return {
    name: list.name,
    id: meta.id,
    driver: "bridge",
    created: meta.created,
    subnet,
    gateway,
    bridge: String(br.bridge ?? ""),
    internal: meta.internal,
    labels: meta.labels,
  };
}

/** True when `v` looks like a conflist tsbox can drive. */
export function isConflist(v: unknown): v is Conflist {
  const o = v as Conflist;
  return typeof o === "object" && o !== null && typeof o.name === "string" &&
    typeof o.cniVersion === "string" && Array.isArray(o.plugins) &&
    o.plugins.every((p) => typeof p?.type === "string");
}

/** True when `ip` is a usable gateway inside `subnet` (not network or broadcast address). */
export function validGateway(subnet: string, ip: string): boolean {
  const c = parseCidr(subnet);
  const g = parseIPv4(ip);
  if (!c || g === undefined) return false;
  const size = 2 ** (32 - c.prefixLen);
  return g > c.network && g < c.network + size - 1;
}
