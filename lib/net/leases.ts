/**
 * host-local IPAM leases: one file per address in `<dataDir>/<network>/`,
 * named after the IP and holding `<containerId>\r\n<ifname>`. The plugin's
 * DEL releases them; these helpers find and remove what a failed DEL left.
 * @module
 */

import { join } from "../posix_path.ts";
import { parseIPv4 } from "./ipv4.ts";

/** Lease files of `dir` as [ip, containerId, ifname]. */
function leases(dir: string): [string, string, string][] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // no lease was ever taken on this network
    throw err;
  }
  const out: [string, string, string][] = [];
  for (const e of entries) {
    if (!e.isFile || parseIPv4(e.name) === undefined) continue; // skip lock, last_reserved_ip.0
    let text: string;
    try {
      text = Deno.readTextFileSync(join(dir, e.name));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // released while we listed
      throw err;
    }
    const [id = "", ifname = ""] = text.split(/\r?\n/).map((s) => s.trim());
    out.push([e.name, id, ifname]);
  }
  return out;
}

/** The IP leased to `containerId` (and `ifname` when given) in `dir`, or `undefined`. */
export function leaseOf(dir: string, containerId: string, ifname?: string): string | undefined {
  return leases(dir).find(([, id, i]) => id === containerId && (!ifname || !i || i === ifname))
    ?.[0];
}

/** All leased IPs in `dir` (for tests and `network inspect`). */
export function leasedIPs(dir: string): string[] {
  return leases(dir).map(([ip]) => ip);
}

/** Remove every lease of `containerId` in `dir`; returns the released IPs. */
export function removeLeases(dir: string, containerId: string): string[] {
  const out: string[] = [];
  for (const [ip, id] of leases(dir)) {
    if (id !== containerId) continue;
    try {
      Deno.removeSync(join(dir, ip));
      out.push(ip);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // released concurrently
    }
  }
  return out;
}
