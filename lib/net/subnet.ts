/**
 * Choosing a private subnet for a new network: the first candidate of a
 * pool that overlaps none of the host's routes and addresses nor another
 * tsbox network (podman's pools: 10.88.0.0/16 for the default network,
 * 10.89.x.0/24 and up for user networks).
 * @module
 */

import { type Cidr, formatCidr, maskOf, parseCidr, parseIPv4 } from "./ipv4.ts";
import { runOk } from "./run_cmd.ts";

/** Candidate subnets for the default `bridge` network. */
export function defaultPool(): string[] {
  return ["10.88.0.0/16", ...userPool()];
}

/** Candidate subnets for user networks: 10.89.0.0/24 … 10.99.255.0/24. */
export function userPool(): string[] {
  const out: string[] = [];
  for (let b = 89; b <= 99; b++) for (let c = 0; c < 256; c++) out.push(`10.${b}.${c}.0/24`);
  return out;
}

/** First candidate overlapping nothing in `taken`, or `undefined`. */
export function chooseSubnet(candidates: string[], taken: Cidr[]): string | undefined {
  for (const s of candidates) {
    const c = parseCidr(s);
    if (c && !taken.some((t) => overlapping(c, t))) return s;
  }
  return undefined;
}

/** True when the two CIDRs share an address. */
export function overlapping(a: Cidr, b: Cidr): boolean {
  const m = maskOf(Math.min(a.prefixLen, b.prefixLen));
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0);
}

/** CIDRs in `ip -4 -j route show table all` output (default routes skipped). */
export function routeCidrs(json: string): Cidr[] {
  const out: Cidr[] = [];
  for (const r of JSON.parse(json || "[]") as { dst?: string }[]) {
    if (!r.dst || r.dst === "default") continue;
    const c = cidrOfAddress(r.dst.includes("/") ? r.dst : `${r.dst}/32`);
    if (c) out.push(c);
  }
  return out;
}

/** CIDRs of the addresses in `ip -4 -j addr` output. */
export function addressCidrs(json: string): Cidr[] {
  const out: Cidr[] = [];
  for (
    const link of JSON.parse(json || "[]") as {
      addr_info?: { local?: string; prefixlen?: number }[];
    }[]
  ) {
    for (const a of link.addr_info ?? []) {
      const c = a.local ? cidrOfAddress(`${a.local}/${a.prefixlen ?? 32}`) : undefined;
      if (c) out.push(c);
    }
  }
  return out;
}

/** `a.b.c.d/n` with host bits set → the network it lies in. */
function cidrOfAddress(s: string): Cidr | undefined {
  const [ip, len] = s.split("/");
  const n = parseIPv4(ip);
  const prefixLen = Number(len);
  if (n === undefined || !(prefixLen >= 0 && prefixLen <= 32)) return undefined;
  return parseCidr(formatCidr({ network: (n & maskOf(prefixLen)) >>> 0, prefixLen }));
}

/** The host's IPv4 routes and interface networks. Requires `ip` (iproute2). */
export async function hostCidrs(): Promise<Cidr[]> {
  const routes = await runOk("ip", ["-4", "-j", "route", "show", "table", "all"]);
  const addrs = await runOk("ip", ["-4", "-j", "addr"]);
  return [...routeCidrs(routes), ...addressCidrs(addrs)];
}
