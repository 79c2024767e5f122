/**
 * The container's /etc/hosts, /etc/resolv.conf and /etc/hostname, kept as
 * files in the container dir and bind-mounted by the init. Written in place
 * (never renamed over) because the bind mount pins the inode.
 * @module
 */

import { join } from "node:path";

/** Paths of the three files in a container dir. */
export function etcPaths(dir: string): { hosts: string; resolvConf: string; hostname: string } {
  return { hosts: join(dir, "hosts"), resolvConf: join(dir, "resolv.conf"), hostname: join(dir, "hostname") };
}

/** resolv.conf for the container: the host's minus loopback nameservers (docker's rule). */
export function containerResolvConf(hostText: string, dns: string[] = []): string {
  const lines = hostText.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    const m = l.match(/^\s*nameserver\s+(\S+)/);
    if (!m) return true;
    return !(m[1].startsWith("127.") || m[1] === "::1");
  });
  let out = dns.length ? kept.filter((l) => !/^\s*nameserver\s/.test(l)).concat(dns.map((d) => `nameserver ${d}`)) : kept;
  if (!out.some((l) => /^\s*nameserver\s/.test(l))) out = out.concat(["nameserver 8.8.8.8", "nameserver 8.8.4.4"]);
  return out.join("\n") + "\n";
}

/** Write the files for a container without a network attachment (none/host). */
export function writeBasicEtcFiles(dir: string, hostname: string, hostNetwork: boolean): void {
  const p = etcPaths(dir);
  const hostHosts = hostNetwork ? readOr("/etc/hosts", "") : "";
  const hosts = hostNetwork && hostHosts
    ? hostHosts
    : `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`;
  Deno.writeTextFileSync(p.hosts, hosts);
  Deno.writeTextFileSync(p.resolvConf, containerResolvConf(readOr("/etc/resolv.conf", "")));
  Deno.writeTextFileSync(p.hostname, hostname + "\n");
}

function readOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return fallback; // a host without the file
    throw err;
  }
}
