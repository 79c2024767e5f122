/**
 * Host port checks for `-p`: a port is free when no host socket holds it
 * (probed by binding it, as docker's proxy would) and no portmap DNAT rule
 * or tsbox attachment already publishes it (DNAT holds no socket, so binding
 * alone cannot see those). Random host ports come from the kernel (bind to 0).
 * @module
 */

import { NetworkError } from "../errors.ts";
import { hostBindingsClash } from "./ports.ts";
import type { PortMapping } from "./types.ts";

/** How many kernel-chosen ports to try before giving up on a random port. */
const RANDOM_TRIES = 20;

/** Try to bind `port` (0 = any) on `hostIP` (`""` = all); returns the bound port or `undefined` when in use. */
export async function probeBind(
  hostIP: string,
  port: number,
  protocol: "tcp" | "udp",
): Promise<number | undefined> {
  const hostname = hostIP || "0.0.0.0";
  if (protocol === "tcp") {
    try {
      const l = Deno.listen({ hostname, port, transport: "tcp" });
      const bound = (l.addr as Deno.NetAddr).port;
      l.close();
      return bound;
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) return undefined;
      throw bindError(hostIP, port, protocol, err);
    }
  }
  // loaded here: node:dgram costs a process ~12 ms to load, and only a published UDP port needs it
  const { default: dgram } = await import("node:dgram");
  const sock = dgram.createSocket({ type: "udp4" });
  try {
    return await new Promise<number | undefined>((resolve, reject) => {
      sock.once("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") resolve(undefined);
        else reject(bindError(hostIP, port, protocol, err));
      });
      sock.bind(port, hostname, () => resolve(sock.address().port));
    });
  } finally {
    await new Promise<void>((r) => {
      try {
        sock.close(() => r());
      } catch (err) {
        // never bound: nothing to close
        if (!(err instanceof Error)) throw err;
        r();
      }
    });
  }
}

function bindError(hostIP: string, port: number, protocol: string, cause: unknown): NetworkError {
  return new NetworkError(`cannot bind host port ${hostIP || "0.0.0.0"}:${port}/${protocol}`, {
    op: "publish",
    cause,
    hint: hostIP ? `is ${hostIP} an address of this host?` : undefined,
  });
}

/** Human form of a host binding. */
export function bindingText(p: PortMapping): string {
  return `${p.hostIP || "0.0.0.0"}:${p.hostPort}/${p.protocol}`;
}

/**
 * Check that every fixed host port of `ports` is free.
 * @param published host ports already published (portmap rules, other attachments).
 * @throws {NetworkError} naming the first busy port.
 */
export async function assertHostPortsFree(
  ports: PortMapping[],
  published: PortMapping[],
): Promise<void> {
  for (const p of ports) {
    if (p.hostPort === 0) continue;
    const by = published.find((q) => hostBindingsClash(p, q));
    if (by) {
      throw new NetworkError(
        `host port ${bindingText(p)} is already published by another container`,
        {
          op: "publish",
          hint: "choose another host port",
        },
      );
    }
    if (await probeBind(p.hostIP, p.hostPort, p.protocol) === undefined) {
      throw new NetworkError(`host port ${bindingText(p)} is already in use`, {
        op: "publish",
        hint: "stop what listens on it or choose another host port",
      });
    }
  }
}

/**
 * Replace every host port 0 by a free port picked by the kernel, avoiding
 * `published` and the ports chosen for the earlier mappings.
 * @throws {NetworkError} when no free port is found.
 */
export async function resolveRandomPorts(
  ports: PortMapping[],
  published: PortMapping[],
): Promise<PortMapping[]> {
  const taken = [...published, ...ports.filter((p) => p.hostPort !== 0)];
  const out: PortMapping[] = [];
  for (const p of ports) {
    if (p.hostPort !== 0) {
      out.push(p);
      continue;
    }
    let chosen: PortMapping | undefined;
    for (let i = 0; i < RANDOM_TRIES && !chosen; i++) {
      const port = await probeBind(p.hostIP, 0, p.protocol);
      const cand = { ...p, hostPort: port ?? 0 };
      if (port && !taken.some((q) => hostBindingsClash(cand, q))) chosen = cand;
    }
    if (!chosen) {
      throw new NetworkError(`no free host port for ${p.containerPort}/${p.protocol}`, {
        op: "publish",
      });
    }
    taken.push(chosen);
    out.push(chosen);
  }
  return out;
}
