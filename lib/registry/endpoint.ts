/**
 * Where a registry domain is reached: `docker.io` → `https://registry-1.docker.io`;
 * plain HTTP only for loopback (`localhost`, `127.0.0.0/8`, `::1`) and hosts
 * the user marked insecure. Pure: no I/O.
 * @module
 */

import { DOCKER_HUB } from "../image/reference.ts";

/** Environment variable holding extra insecure registries (comma/space separated). */
export const INSECURE_ENV = "TSBOX_INSECURE_REGISTRIES";

/** How to reach one registry. */
export interface Endpoint {
  /** The reference domain (`docker.io`, `127.0.0.1:5000`); credentials are keyed by it. */
  domain: string;
  /** Base URL without trailing slash (`https://registry-1.docker.io`). */
  base: string;
  /** True when plain HTTP is used. */
  insecure: boolean;
}

/** Split `host[:port]` (IPv6 in brackets) into host and port. */
function splitHostPort(hostport: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostport);
  if (v6) return { host: v6[1].toLowerCase(), port: v6[2] };
  const m = /^([^:]+)(?::(\d+))?$/.exec(hostport);
  if (m) return { host: m[1].toLowerCase(), port: m[2] };
  // a bare IPv6 literal without brackets
  return { host: hostport.toLowerCase() };
}

/** True for `localhost`, 127.0.0.0/8 and `::1` (with or without a port). */
export function isLoopback(domain: string): boolean {
  const { host } = splitHostPort(domain);
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Parse the insecure-registry list from `TSBOX_INSECURE_REGISTRIES`'s value. */
export function parseInsecureList(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter(Boolean);
}

/**
 * True when `domain` may use plain HTTP: loopback, or listed in `insecure`
 * (an entry without a port covers every port of that host; `http://` prefixes are ignored).
 */
export function isInsecure(domain: string, insecure: string[]): boolean {
  if (isLoopback(domain)) return true;
  const d = splitHostPort(domain);
  return insecure.some((entry) => {
    const e = splitHostPort(entry.replace(/^https?:\/\//, "").replace(/\/+$/, ""));
    return e.host === d.host && (e.port === undefined || e.port === d.port);
  });
}

/** The endpoint for a reference domain. */
export function endpointFor(domain: string, insecure: string[]): Endpoint {
  if (domain === DOCKER_HUB) {
    return { domain, base: "https://registry-1.docker.io", insecure: false };
  }
  const plain = isInsecure(domain, insecure);
  return { domain, base: `${plain ? "http" : "https"}://${domain}`, insecure: plain };
}
