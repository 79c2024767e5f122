/**
 * IPv4 address and CIDR arithmetic (pure). Addresses are handled as
 * unsigned 32-bit numbers.
 * @module
 */

/** A parsed IPv4 CIDR. */
export interface Cidr {
  /** Network address (host bits cleared). */
  network: number;
  /** Prefix length 0–32. */
  prefixLen: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parse dotted-quad IPv4; `undefined` when invalid. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Format a 32-bit number as dotted quad. */
export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** True when `s` is a valid IPv6 literal (loose check: hex groups and `::`). */
export function isIPv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const dbl = s.split("::").length - 1;
  if (dbl > 1) return false;
  const groups = s.split(":").filter((g) => g !== "");
  if (groups.some((g) => g.length > 4 && !g.includes("."))) return false;
  return dbl === 1 ? groups.length < 8 : groups.length === 8;
}

/** Netmask of a prefix length as a number. */
export function maskOf(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff - (2 ** (32 - prefixLen) - 1)) >>> 0;
}

/**
 * Parse `a.b.c.d/n`; `undefined` when malformed or when host bits are set
 * (docker rejects `10.0.0.1/24` as a subnet too).
 */
export function parseCidr(s: string): Cidr | undefined {
  const m = s.match(/^([0-9.]+)\/(\d{1,2})$/);
  if (!m) return undefined;
  const ip = parseIPv4(m[1]);
  const prefixLen = Number(m[2]);
  if (ip === undefined || prefixLen > 32) return undefined;
  const network = (ip & maskOf(prefixLen)) >>> 0;
  if (network !== ip) return undefined;
  return { network, prefixLen };
}

/** Format a CIDR. */
export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.network)}/${c.prefixLen}`;
}

/** Number of addresses in the CIDR. */
export function sizeOf(c: Cidr): number {
  return 2 ** (32 - c.prefixLen);
}

/** True when `ip` is inside `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefixLen)) >>> 0) === c.network;
}

/** True when the two CIDRs share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefixLen, b.prefixLen);
  const m = maskOf(p);
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0);
}

/** True for 127.0.0.0/8. */
export function isLoopbackV4(ip: number): boolean {
  return Math.floor(ip / 2 ** 24) === 127;
}

/** Ranges no bridge network may use: "this network", loopback, link-local, multicast, reserved. */
const UNUSABLE: [string, string][] = [
  ["0.0.0.0/8", '"this network" (0.0.0.0/8)'],
  ["127.0.0.0/8", "loopback (127.0.0.0/8)"],
  ["169.254.0.0/16", "link-local (169.254.0.0/16)"],
  ["224.0.0.0/4", "multicast (224.0.0.0/4)"],
  ["240.0.0.0/4", "reserved (240.0.0.0/4)"],
];

/** Why `c` cannot be a network's subnet (it overlaps a special range), or undefined. */
export function unusableSubnet(c: Cidr): string | undefined {
  return UNUSABLE.find(([r]) => overlaps(c, parseCidr(r)!))?.[1];
}
