/**
 * Writing the container's etc files and keeping the hosts files of a user
 * network current as containers come and go. The files are bind-mounted
 * into running containers, so an existing file is rewritten in place
 * (truncate + write keeps the inode), never renamed over.
 * @module
 */

import { dirname, join } from "../posix_path.ts";
import { exists, withLockSync, writeFileAtomic } from "../fsutil.ts";
import { buildHosts, buildResolvConf, hostResolvConf, resolveExtraHosts } from "./etc_files.ts";
import { DEFAULT_NETWORK } from "./options.ts";
import { type AttachmentRecord, listRecords, readRecord, writeRecord } from "./records.ts";
import type { NetworkAttachment, NetworkOptions } from "./types.ts";

/** Write `text` to `path` in place when it exists (bind-mounted inode), else atomically. */
export function writeInPlace(path: string, text: string): void {
  if (exists(path)) Deno.writeTextFileSync(path, text);
  else writeFileAtomic(path, new TextEncoder().encode(text), 0o644);
}

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // a host without that file
    throw err;
  }
}

function hostsLock(attachmentsDir: string, network: string): string {
  return join(attachmentsDir, `.${network}.hosts.lock`);
}

/** Other attached containers of the same user network (none on the default network, as docker). */
function peersOf(all: AttachmentRecord[], self: NetworkAttachment): { name: string; ip: string }[] {
  if (self.network === DEFAULT_NETWORK) return [];
  return all.filter((r) =>
    r.state === "attached" && r.attachment.network === self.network &&
    r.attachment.containerId !== self.containerId && r.attachment.ip && r.attachment.containerName
  ).map((r) => ({ name: r.attachment.containerName, ip: r.attachment.ip }));
}

/** Rewrite the hosts file of every container of `network` that has one (call holding the hosts lock). */
function refreshLocked(attachmentsDir: string, network: string): void {
  const all = listRecords(attachmentsDir);
  for (const r of all) {
    if (r.attachment.network !== network || !r.hosts) continue;
    if (!exists(r.hosts.path)) continue; // the container dir is gone; its record is stale
    const text = buildHosts({
      hostname: r.hosts.hostname,
      containerName: r.attachment.containerName,
      ip: r.attachment.ip,
      extraHosts: r.hosts.extraHosts,
      peers: peersOf(all, r.attachment),
    });
    Deno.writeTextFileSync(r.hosts.path, text);
  }
}

/**
 * Rewrite the hosts files of the containers on `network` (after one joined or left).
 * @param attachmentsDir the store's `attachments/` directory.
 */
export function refreshPeerHosts(attachmentsDir: string, network: string): void {
  if (network === DEFAULT_NETWORK) return;
  withLockSync(hostsLock(attachmentsDir, network), () => refreshLocked(attachmentsDir, network));
}

/**
 * Write `hosts`, `resolv.conf` and `hostname` into `dir` (the container's
 * state dir; the init bind-mounts them over /etc). With an attachment, the
 * container is registered for name resolution on its user network and the
 * other containers' hosts files get its name. Existing files are rewritten
 * in place. Returns the three paths.
 * @throws {Deno.errors.*} file system errors.
 */
export function writeEtcFiles(
  dir: string,
  input: {
    hostname: string;
    attachment?: NetworkAttachment;
    opts: NetworkOptions;
    containerName: string;
  },
): { hosts: string; resolvConf: string; hostname: string } {
  const out = {
    hosts: join(dir, "hosts"),
    resolvConf: join(dir, "resolv.conf"),
    hostname: join(dir, "hostname"),
  };
  const { opts, attachment: att } = input;
  const hostMode = opts.mode === "host";
  const extraHosts = resolveExtraHosts(opts, att?.gateway ?? "127.0.0.1");
  Deno.mkdirSync(dir, { recursive: true });

  writeInPlace(out.hostname, input.hostname + "\n");
  writeInPlace(out.resolvConf, buildResolvConf(hostResolvConf(readOptional), opts.dns, hostMode));

  const base = { hostname: input.hostname, containerName: input.containerName, extraHosts };
  if (!att) {
    const hostFile = hostMode ? readOptional("/etc/hosts") ?? "" : undefined;
    writeInPlace(out.hosts, buildHosts({ ...base, peers: [], hostFile }));
    return out;
  }
  const attachmentsDir = dirname(att.recordPath);
  withLockSync(hostsLock(attachmentsDir, att.network), () => {
    const rec = readRecord(att.recordPath);
    if (rec) {
      writeRecord(att.recordPath, {
        ...rec,
        hosts: { path: out.hosts, hostname: input.hostname, extraHosts },
      });
    }
    const peers = peersOf(listRecords(attachmentsDir), att);
    writeInPlace(out.hosts, buildHosts({ ...base, ip: att.ip, peers }));
    if (rec && att.network !== DEFAULT_NETWORK) refreshLocked(attachmentsDir, att.network);
  });
  return out;
}
