/**
 * The networks of one container (pure): which networks a bridged container
 * is on (`network connect` adds, `disconnect` removes), which of them are
 * attached now, the interface name the next one gets, and the options each
 * attachment runs with. docker names the interfaces eth0, eth1, … in the
 * order the networks are joined; tsbox gives a new one the lowest free index.
 * @module
 */

import type { EndpointConfig, NetworkAttachment, NetworkOptions, NetworkRecord } from "./types.ts";

/** Interface name prefix inside the container. */
export const IFNAME_PREFIX = "eth";

/** The networks `net` is on, in order (`[]` for none/host/container/user-mode). */
export function endpointsOf(net: NetworkRecord | undefined): EndpointConfig[] {
  if (!net || net.opts.mode !== "bridge") return [];
  return net.endpoints ?? [{ network: net.opts.network }];
}

/** The names of the networks a container is on, as `ps` and `inspect` list them. */
export function networkNamesOf(net: NetworkRecord | undefined): string[] {
  if (!net) return ["none"];
  const mode = net.opts.mode;
  if (mode === "bridge") return endpointsOf(net).map((e) => e.network);
  return [mode === "container" ? net.opts.network : mode];
}

/** The live attachments of `net`, by interface name. */
export function liveAttachments(net: NetworkRecord | undefined): NetworkAttachment[] {
  if (!net) return [];
  const all = [...(net.attachment ? [net.attachment] : []), ...(net.connected ?? [])];
  return all.sort((a, b) => ifIndex(a.ifname) - ifIndex(b.ifname));
}

/** The live attachment of `network`, if any. */
export function attachmentTo(
  net: NetworkRecord | undefined,
  network: string,
): NetworkAttachment | undefined {
  return liveAttachments(net).find((a) => a.network === network);
}

/** `net` without its live attachments (after a teardown). */
export function withoutAttachments(net: NetworkRecord): NetworkRecord {
  const { attachment: _a, connected: _c, ...rest } = net;
  return rest;
}

/** True when `net` records a live attachment. */
export function hasAttachments(net: NetworkRecord | undefined): boolean {
  return liveAttachments(net).length > 0;
}

/** `net` with `att` recorded as live: the primary's slot for `opts.network`, else `connected`. */
export function withAttachment(net: NetworkRecord, att: NetworkAttachment): NetworkRecord {
  if (att.network === net.opts.network) return { ...net, attachment: att };
  const others = (net.connected ?? []).filter((a) => a.network !== att.network);
  return { ...net, connected: [...others, att] };
}

/** `net` without the endpoint and attachment of `network`. */
export function withoutNetwork(net: NetworkRecord, network: string): NetworkRecord {
  const out: NetworkRecord = {
    ...net,
    endpoints: endpointsOf(net).filter((e) => e.network !== network),
  };
  if (out.attachment?.network === network) delete out.attachment;
  if (out.connected) {
    out.connected = out.connected.filter((a) => a.network !== network);
    if (!out.connected.length) delete out.connected;
  }
  return out;
}

/** True when an attachment's CNI ADD result gave the container its default route. */
export function givesDefaultRoute(att: NetworkAttachment): boolean {
  const routes = (att.cniResult?.routes ?? []) as { dst?: string }[];
  return routes.some((r) => r.dst === "0.0.0.0/0");
}

/** Index of `ethN` (a name of another form sorts last). */
function ifIndex(ifname: string): number {
  const m = /^eth(\d+)$/.exec(ifname);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** The lowest `ethN` none of `taken` uses. */
export function nextIfname(taken: string[]): string {
  const used = new Set(taken);
  let i = 0;
  while (used.has(`${IFNAME_PREFIX}${i}`)) i++;
  return `${IFNAME_PREFIX}${i}`;
}

/**
 * The options the attachment of endpoint `ep` runs with: the container's
 * own for `opts.network` (published ports, `--mac-address`), else the
 * same network flags without ports and MAC (they belong to the primary).
 */
export function optionsFor(opts: NetworkOptions, ep: EndpointConfig): NetworkOptions {
  if (ep.network === opts.network) return opts;
  const { mac: _mac, ...rest } = opts;
  return { ...rest, network: ep.network, ports: [] };
}
