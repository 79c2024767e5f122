/**
 * `parseNetworkFlags`: the run path's network flags → `NetworkOptions`.
 * Pure: every check happens here, before anything is created.
 * @module
 */

import { UsageError } from "../errors.ts";
import { formatIPv4, isIPv6, parseIPv4 } from "./ipv4.ts";
import { hostBindingsClash, parsePublish } from "./ports.ts";
import type { NetworkOptions, PortMapping } from "./types.ts";

/** Name of the default bridge network. */
export const DEFAULT_NETWORK = "bridge";

/** Valid network names (the CNI spec's rule; docker's too). */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** `--add-host` value meaning "the host, as seen from the container" (docker's). */
export const HOST_GATEWAY = "host-gateway";

const HOST_NAME = /^[a-zA-Z0-9_]([a-zA-Z0-9_.-]{0,252})$/;

/** Normalise an IPv4/IPv6 literal, or `undefined` when it is neither. */
function normaliseIP(s: string): string | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return formatIPv4(v4);
  return isIPv6(s) ? s.toLowerCase() : undefined;
}

/**
 * Parse and validate the network flags of `run`/`create`.
 * `network` is `none`, `host`, `bridge` (or `default`), or a user network name.
 * @throws {UsageError} bad mode or name, bad port spec, bad IP, duplicate host
 *   port, `-p` with `none`/`host`, `host-gateway` without a network.
 */
export function parseNetworkFlags(
  raw: {
    network: string;
    publish: string[];
    dns: string[];
    addHost: string[];
    cniPath?: string;
    /** Rootless: the default network is a user-mode one (a bridge needs root). */
    rootless?: boolean;
  },
): NetworkOptions {
  let net = raw.network === "" || raw.network === "default" ? DEFAULT_NETWORK : raw.network;
  // docker rootless and podman: the default network of an ordinary user is user-mode
  if (raw.rootless && net === DEFAULT_NETWORK) net = "slirp4netns";
  let allowHostLoopback: boolean | undefined;
  if (net.startsWith("slirp4netns:")) {
    // podman's form: slirp4netns:opt=v[,opt=v]; tsbox takes allow_host_loopback
    for (const o of net.slice("slirp4netns:".length).split(",")) {
      const m = /^allow_host_loopback=(true|false)$/.exec(o);
      if (!m) {
        throw new UsageError(`invalid slirp4netns option "${o}"`, {
          hint: "supported: allow_host_loopback=true|false",
        });
      }
      allowHostLoopback = m[1] === "true";
    }
    net = "slirp4netns";
  }
  let mode: NetworkOptions["mode"];
  if (net === "none" || net === "host" || net === "slirp4netns") mode = net;
  else if (net.startsWith("container:")) {
    mode = "container";
    if (raw.dns.length) throw new UsageError("conflicting options: dns and the network mode");
    if (raw.addHost.length) {
      throw new UsageError("conflicting options: custom host-to-IP mapping and the network mode");
    }
    if (raw.publish.length) {
      throw new UsageError(
        "conflicting options: port publishing and the container type network mode",
      );
    }
  } else if (NETWORK_NAME.test(net)) mode = "bridge";
  else {
    throw new UsageError(`invalid network name "${net}"`, {
      hint: "use none, host, bridge or a name matching [a-zA-Z0-9][a-zA-Z0-9_.-]*",
    });
  }

  const ports: PortMapping[] = raw.publish.flatMap(parsePublish);
  if (ports.length && mode !== "bridge" && mode !== "slirp4netns") {
    throw new UsageError(`-p/--publish cannot be used with --network ${mode}`, {
      hint: "published ports need a bridge network",
    });
  }
  for (let i = 0; i < ports.length; i++) {
    for (let j = 0; j < i; j++) {
      if (hostBindingsClash(ports[i], ports[j])) {
        throw new UsageError(
          `host port ${ports[i].hostPort}/${ports[i].protocol} is published twice`,
        );
      }
    }
  }

  const dns = raw.dns.map((d) => {
    const ip = normaliseIP(d.trim());
    if (!ip) throw new UsageError(`invalid --dns "${d}": not an IP address`);
    return ip;
  });

  const extraHosts = raw.addHost.map((h) => {
    // docker splits on the first ':' (IPv6 addresses contain more) and accepts '=' too
    const m = h.match(/^([^:=]+)[:=](.+)$/);
    if (!m || !HOST_NAME.test(m[1])) {
      throw new UsageError(`invalid --add-host "${h}": expected NAME:IP`);
    }
    if (m[2] === HOST_GATEWAY) {
      if (mode === "none") throw new UsageError(`--add-host ${h}: host-gateway needs a network`);
      return { name: m[1], ip: HOST_GATEWAY };
    }
    const ip = normaliseIP(m[2].replace(/^\[(.*)\]$/, "$1"));
    if (!ip) throw new UsageError(`invalid --add-host "${h}": "${m[2]}" is not an IP address`);
    return { name: m[1], ip };
  });

  const cniPath = raw.cniPath?.split(":").filter((d) => d !== "");
  if (cniPath?.some((d) => !d.startsWith("/"))) {
    throw new UsageError(`--cni-path must list absolute directories`);
  }
  return {
    mode,
    network: mode === "bridge" || mode === "container" ? net : mode,
    ports,
    dns,
    extraHosts,
    ...(cniPath?.length ? { cniPath } : {}),
    ...(allowHostLoopback ? { allowHostLoopback } : {}),
  };
}
