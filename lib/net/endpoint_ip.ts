/**
 * A fixed address asked for with `network connect --ip`: it must lie in
 * the network's subnet and be free (not the network, broadcast or gateway
 * address, not leased). Checked before anything is changed, with docker's
 * words; host-local then takes it from CNI_ARGS `IP=`.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { type Conflist, networkInfoOf } from "./conflist.ts";
import { netDirs } from "./dirs.ts";
import { contains, formatIPv4, parseCidr, parseIPv4, sizeOf } from "./ipv4.ts";
import { leasedIPs } from "./leases.ts";

/** Normalised dotted quad of `s`, or `undefined` when it is not an IPv4 address. */
export function parseRequestedIP(s: string): string | undefined {
  const n = parseIPv4(s);
  return n === undefined ? undefined : formatIPv4(n);
}

/**
 * Why `ip` cannot be given to a container on `list` (docker's message), or
 * `undefined` when it can.
 * @param leased the addresses leased on the network now.
 */
export function requestedIPProblem(
  list: Conflist,
  ip: string,
  leased: string[],
): string | undefined {
  const info = networkInfoOf(list);
  const c = parseCidr(info.subnet);
  const n = parseIPv4(ip);
  if (!c || n === undefined || !contains(c, n)) {
    return `invalid address ${ip}: It does not belong to any of this network's subnets`;
  }
  const reserved = [c.network, c.network + sizeOf(c) - 1].map(formatIPv4);
  if ([...reserved, info.gateway, ...leased].includes(formatIPv4(n))) {
    return "Address already in use";
  }
  return undefined;
}

/** The addresses leased on network `name` of the store at `paths`. */
export function leasedOn(paths: Paths, name: string): string[] {
  return leasedIPs(join(netDirs(paths).ipam, name));
}
