/**
 * The container's /etc/hosts, /etc/resolv.conf and /etc/hostname (pure
 * builders), docker's way: localhost entries, `--add-host` lines, the
 * container's own address and hostname, and on user networks the other
 * containers of the network by name; resolv.conf is the host's without
 * loopback nameservers (they mean nothing in another netns), falling back
 * to 8.8.8.8/8.8.4.4, with `--dns` replacing the nameservers.
 * @module
 */

import type { NetworkOptions } from "./types.ts";

/** Docker's fallback nameservers when the host has only loopback ones. */
export const FALLBACK_NAMESERVERS = ["8.8.8.8", "8.8.4.4"];

const LOCALHOST_LINES = [
  "127.0.0.1\tlocalhost",
  "::1\tlocalhost ip6-localhost ip6-loopback",
  "fe00::0\tip6-localnet",
  "ff00::0\tip6-mcastprefix",
  "ff02::1\tip6-allnodes",
  "ff02::2\tip6-allrouters",
];

/** Inputs of a hosts file. */
export interface HostsInput {
  hostname: string;
  containerName: string;
  /** The container's address on its network (none: maps the hostname to 127.0.1.1). */
  ip?: string;
  /** Its addresses on its further networks (a line each, as docker adds one per network joined). */
  extraIPs?: string[];
  /** `--add-host` entries with `host-gateway` already resolved. */
  extraHosts: { name: string; ip: string }[];
  /** Other containers of the same user network. */
  peers: { name: string; ip: string }[];
  /** `--network host`: the host's own hosts file, used as the base. */
  hostFile?: string;
}

/** Build /etc/hosts. */
export function buildHosts(inp: HostsInput): string {
  const lines: string[] = [];
  if (inp.hostFile !== undefined) lines.push(...inp.hostFile.replace(/\n+$/, "").split("\n"));
  else lines.push(...LOCALHOST_LINES);
  for (const h of inp.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  if (inp.hostFile === undefined) {
    const names = [inp.hostname];
    if (inp.containerName && inp.containerName !== inp.hostname) names.push(inp.containerName);
    lines.push(`${inp.ip ?? "127.0.1.1"}\t${names.join(" ")}`);
    for (const ip of inp.extraIPs ?? []) lines.push(`${ip}\t${names.join(" ")}`);
  }
  const seen = new Set<string>();
  for (const p of [...inp.peers].sort((a, b) => a.name.localeCompare(b.name))) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    lines.push(`${p.ip}\t${p.name}`);
  }
  return lines.join("\n") + "\n";
}

/** True for a nameserver that only works in the host's own netns. */
export function isLoopbackNameserver(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip.startsWith("::ffff:127.");
}

/** The nameservers of a resolv.conf text. */
export function nameservers(text: string): string[] {
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
}

/**
 * Build /etc/resolv.conf from the host's text.
 * @param keepLoopback `--network host`: the host's nameservers work as they are.
 */
export function buildResolvConf(hostText: string, dns: string[], keepLoopback: boolean): string {
  const lines = hostText.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  const isNs = (l: string) => /^\s*nameserver\s/.test(l);
  let kept = lines.filter((l) =>
    !isNs(l) || keepLoopback || !isLoopbackNameserver(l.trim().split(/\s+/)[1] ?? "")
  );
  if (dns.length) kept = kept.filter((l) => !isNs(l)).concat(dns.map((d) => `nameserver ${d}`));
  if (!kept.some(isNs)) kept = kept.concat(FALLBACK_NAMESERVERS.map((d) => `nameserver ${d}`));
  return kept.join("\n") + "\n";
}

/**
 * The host resolv.conf text to start from: /etc/resolv.conf, or systemd-resolved's
 * upstream list when the host's only nameserver is its 127.0.0.53 stub (docker does the same).
 */
export function hostResolvConf(read: (path: string) => string | undefined): string {
  const etc = read("/etc/resolv.conf") ?? "";
  const ns = nameservers(etc);
  if (ns.length && ns.every((n) => n === "127.0.0.53")) {
    const upstream = read("/run/systemd/resolve/resolv.conf");
    if (upstream !== undefined) return upstream;
  }
  return etc;
}

/** Resolve `host-gateway` entries of `--add-host` to `gateway`. */
export function resolveExtraHosts(
  opts: NetworkOptions,
  gateway: string,
): { name: string; ip: string }[] {
  return opts.extraHosts.map((h) => (h.ip === "host-gateway" ? { name: h.name, ip: gateway } : h));
}
