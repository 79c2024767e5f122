/**
 * `-p/--publish` parsing (pure), with docker's forms:
 * `CTR`, `HOST:CTR`, `IP:HOST:CTR`, `IP::CTR`, each port optionally a range
 * `A-B`, and a `/tcp` or `/udp` suffix. A missing or zero host port means
 * "pick a free one" when the container is attached.
 * @module
 */

import { UsageError } from "../errors.ts";
import { formatIPv4, isIPv6, parseIPv4 } from "./ipv4.ts";
import type { PortMapping } from "./types.ts";

/** Parse a port or `A-B` range; `allowZero` for host ports (0 = random). */
function parseRange(s: string, what: string, spec: string, allowZero: boolean): [number, number] {
  const m = s.match(/^(\d{1,5})(?:-(\d{1,5}))?$/);
  const bad = () => new UsageError(`invalid ${what} "${s}" in publish spec "${spec}"`);
  if (!m) throw bad();
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  const min = allowZero ? 0 : 1;
  if (a < min || a > 65535 || b < min || b > 65535 || b < a) throw bad();
  if (a === 0 && b !== 0) throw bad();
  return [a, b];
}

/**
 * Parse one `-p` value into one mapping per port.
 * @throws {UsageError} malformed spec, bad port, bad or IPv6 host address, unknown protocol.
 */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec.trim();
  let protocol: "tcp" | "udp" = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== "tcp" && proto !== "udp") {
      throw new UsageError(
        `invalid protocol "${proto}" in publish spec "${spec}": expected tcp or udp`,
      );
    }
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  if (rest.startsWith("[")) {
    throw new UsageError(`IPv6 host addresses are not supported in publish spec "${spec}"`);
  }
  const parts = rest.split(":");
  let hostIP = "";
  let hostPart = "";
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0];
  else if (parts.length === 2) [hostPart, ctrPart] = parts;
  else if (parts.length === 3) [hostIP, hostPart, ctrPart] = parts;
  else if (isIPv6(parts.slice(0, -2).join(":"))) {
    throw new UsageError(`IPv6 host addresses are not supported in publish spec "${spec}"`);
  } else {throw new UsageError(
      `invalid publish spec "${spec}": expected [IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`,
    );}
  if (hostIP !== "") {
    const ip = parseIPv4(hostIP);
    if (ip === undefined) {
      if (isIPv6(hostIP)) {
        throw new UsageError(`IPv6 host addresses are not supported in publish spec "${spec}"`);
      }
      throw new UsageError(`invalid host IP "${hostIP}" in publish spec "${spec}"`);
    }
    hostIP = ip === 0 ? "" : formatIPv4(ip); // 0.0.0.0 means every address, as no IP does
  }
  const [c0, c1] = parseRange(ctrPart, "container port", spec, false);
  const [h0, h1] = hostPart === "" ? [0, 0] : parseRange(hostPart, "host port", spec, true);
  if (h0 !== 0 && h1 - h0 !== c1 - c0) {
    throw new UsageError(
      `invalid publish spec "${spec}": host and container port ranges differ in size`,
    );
  }
  const out: PortMapping[] = [];
  for (let i = 0; i <= c1 - c0; i++) {
    out.push({ hostIP, hostPort: h0 === 0 ? 0 : h0 + i, containerPort: c0 + i, protocol });
  }
  return out;
}

/** True when two host bindings would collide (same port/proto and an overlapping address). */
export function hostBindingsClash(a: PortMapping, b: PortMapping): boolean {
  return a.hostPort !== 0 && a.hostPort === b.hostPort && a.protocol === b.protocol &&
    (a.hostIP === "" || b.hostIP === "" || a.hostIP === b.hostIP);
}
