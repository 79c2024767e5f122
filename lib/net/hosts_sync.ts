/**
 * Writing the container's etc files and keeping the hosts files of a user
 * network current as containers come and go (or connect and disconnect: a
 * container on several networks knows the peers of all of them, its
 * aliases on a network are names there too). The files are bind-mounted
 * into running containers, so an existing file is rewritten in place
 * (truncate + write keeps the inode), never renamed over.
 * @module
 */

import { dirname, join } from "../posix_path.ts";
import { exists, readTextIfExists, withLockSync, writeFileAtomic } from "../fsutil.ts";
import { buildHosts, buildResolvConf, hostResolvConf, resolveExtraHosts } from "./etc_files.ts";
import { DEFAULT_NETWORK } from "./options.ts";
import { type AttachmentRecord, listRecords, readRecord, writeRecord } from "./records.ts";
import type { NetworkAttachment, NetworkOptions } from "./types.ts";

/** Write `text` to `path` in place when it exists (bind-mounted inode), else atomically. */
export function writeInPlace(path: string, text: string): void {
  if (exists(path)) Deno.writeTextFileSync(path, text);
  else writeFileAtomic(path, new TextEncoder().encode(text), 0o644);
}

/** One lock for the hosts files of a store: a container on several networks has one file for all. */
function hostsLock(attachmentsDir: string): string {
  return join(attachmentsDir, ".hosts.lock");
}

/** Where a container's hosts file is and what it is built from (kept in its records). */
type HostsInfo = NonNullable<AttachmentRecord["hosts"]>;

/** A container whose hosts file is rewritten. */
interface HostsTarget {
  containerId: string;
  containerName: string;
  hosts: HostsInfo;
}

/** The names a container answers to on a network: its name and its aliases there. */
function namesOf(a: NetworkAttachment): string[] {
  return [a.containerName, ...(a.aliases ?? [])].filter((n) => n);
}

/** The other containers of `networks` by name (none on the default network, as docker). */
function peersOf(
  all: AttachmentRecord[],
  containerId: string,
  networks: string[],
): { name: string; ip: string }[] {
  const user = new Set(networks.filter((n) => n !== DEFAULT_NETWORK));
  return all.filter((r) =>
    r.state === "attached" && user.has(r.attachment.network) &&
    r.attachment.containerId !== containerId && r.attachment.ip
  ).flatMap((r) => namesOf(r.attachment).map((name) => ({ name, ip: r.attachment.ip })));
}

/** The attached records of `containerId`, by interface. */
function ownRecords(all: AttachmentRecord[], containerId: string): NetworkAttachment[] {
  return all.filter((r) => r.attachment.containerId === containerId && r.state === "attached")
    .map((r) => r.attachment).sort((a, b) =>
      a.ifname.localeCompare(b.ifname, "en", { numeric: true })
    );
}

/** The hosts file of `t`: its own addresses, its `--add-host` lines, its peers on all its networks. */
function hostsText(
  t: HostsTarget,
  own: NetworkAttachment[],
  all: AttachmentRecord[],
): string {
  const ips = own.map((a) => a.ip).filter((ip) => ip);
  return buildHosts({
    hostname: t.hosts.hostname,
    containerName: t.containerName,
    ...(ips.length ? { ip: ips[0], extraIPs: ips.slice(1) } : {}),
    extraHosts: t.hosts.extraHosts,
    peers: peersOf(all, t.containerId, own.map((a) => a.network)),
  });
}

/**
 * Rewrite the hosts file of every container of `network` that has one, and
 * of `leaving` (call holding the hosts lock).
 */
function refreshLocked(attachmentsDir: string, network: string, leaving?: HostsTarget): void {
  const all = listRecords(attachmentsDir);
  const targets = new Map<string, HostsTarget>();
  if (network !== DEFAULT_NETWORK) {
    for (const r of all) {
      if (r.attachment.network !== network || !r.hosts) continue;
      const a = r.attachment;
      targets.set(a.containerId, {
        containerId: a.containerId,
        containerName: a.containerName,
        hosts: r.hosts,
      });
    }
  }
  if (leaving) targets.set(leaving.containerId, leaving);
  for (const t of targets.values()) {
    if (!exists(t.hosts.path)) continue; // the container dir is gone; its record is stale
    Deno.writeTextFileSync(t.hosts.path, hostsText(t, ownRecords(all, t.containerId), all));
  }
}

/**
 * Rewrite the hosts files of the containers on `network` (after one joined
 * or left), and of the container `leaving` it, whose file keeps its other networks.
 * @param attachmentsDir the store's `attachments/` directory.
 */
export function refreshPeerHosts(
  attachmentsDir: string,
  network: string,
  leaving?: { containerId: string; hosts: HostsInfo; containerName?: string },
): void {
  if (network === DEFAULT_NETWORK && !leaving) return;
  const t = leaving && {
    containerId: leaving.containerId,
    containerName: leaving.containerName ?? "",
    hosts: leaving.hosts,
  };
  withLockSync(hostsLock(attachmentsDir), () => refreshLocked(attachmentsDir, network, t));
}

/**
 * Write `hosts`, `resolv.conf` and `hostname` into `dir` (the container's
 * state dir; the init bind-mounts them over /etc). With attachments (every
 * network the container is on; `attachment` for one), the container is
 * registered for name resolution on its user networks and the other
 * containers' hosts files get its name. Existing files are rewritten in
 * place. Returns the three paths.
 * @throws {Deno.errors.*} file system errors.
 */
export function writeEtcFiles(
  dir: string,
  input: {
    hostname: string;
    attachment?: NetworkAttachment;
    attachments?: NetworkAttachment[];
    opts: NetworkOptions;
    containerName: string;
  },
): { hosts: string; resolvConf: string; hostname: string } {
  const out = {
    hosts: join(dir, "hosts"),
    resolvConf: join(dir, "resolv.conf"),
    hostname: join(dir, "hostname"),
  };
  const { opts } = input;
  const atts = input.attachments ?? (input.attachment ? [input.attachment] : []);
  const hostMode = opts.mode === "host";
  const extraHosts = resolveExtraHosts(opts, atts[0]?.gateway ?? "127.0.0.1");
  Deno.mkdirSync(dir, { recursive: true });

  writeInPlace(out.hostname, input.hostname + "\n");
  writeInPlace(
    out.resolvConf,
    buildResolvConf(hostResolvConf(readTextIfExists), opts.dns, hostMode),
  );

  if (!atts.length) {
    const base = { hostname: input.hostname, containerName: input.containerName, extraHosts };
    const hostFile = hostMode ? readTextIfExists("/etc/hosts") ?? "" : undefined;
    writeInPlace(out.hosts, buildHosts({ ...base, peers: [], hostFile }));
    return out;
  }
  writeAttachedHosts(out.hosts, { ...input, attachments: atts, extraHosts });
  return out;
}

/**
 * Write the hosts file `path` of a container with `attachments` (every
 * network it is on, after `network connect` too): register it in their
 * records for the later refreshes, build it from all its networks, and
 * give its name to the other containers of those networks.
 * @throws {Deno.errors.*} file system errors.
 */
export function writeAttachedHosts(
  path: string,
  input: {
    hostname: string;
    containerName: string;
    attachments: NetworkAttachment[];
    /** `--add-host` entries with `host-gateway` resolved. */
    extraHosts: { name: string; ip: string }[];
  },
): void {
  const atts = input.attachments;
  if (!atts.length) return;
  const attachmentsDir = dirname(atts[0].recordPath);
  const hosts: HostsInfo = { path, hostname: input.hostname, extraHosts: input.extraHosts };
  withLockSync(hostsLock(attachmentsDir), () => {
    const joined: string[] = [];
    for (const att of atts) {
      const rec = readRecord(att.recordPath);
      if (!rec) continue; // detached meanwhile: nothing to register
      writeRecord(att.recordPath, { ...rec, hosts });
      joined.push(att.network);
    }
    const target = { containerId: atts[0].containerId, containerName: input.containerName, hosts };
    writeInPlace(path, hostsText(target, atts, listRecords(attachmentsDir)));
    for (const n of joined) if (n !== DEFAULT_NETWORK) refreshLocked(attachmentsDir, n);
  });
}
