/**
 * Container networking through the standard CNI plugins — the API the run
 * path calls, in this order:
 *
 * 1. `parseNetworkFlags` (options.ts) while parsing `run`/`create` flags;
 * 2. `prepareNetwork` before spawning the init (network exists, plugins
 *    present, fixed host ports free) — nothing container-specific is made;
 * 3. the init unshares its netns; then `attachNetwork` with
 *    `/proc/<pid>/ns/net` (only when `needsAttachment(opts)`);
 * 4. `writeEtcFiles` into the container dir (also for none/host);
 * 5. on every exit path, `detachNetwork` with the attachment (or
 *    `detachContainer` with just the id when the record was lost).
 * @module
 */

import { join } from "../posix_path.ts";
import { exists } from "../fsutil.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { unpinNetns } from "./netns_handle.ts";
import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { listRecords, readRecord, recordPathIn } from "./records.ts";
import { netDirs } from "./dirs.ts";
import { lazy } from "../lazy.ts";
import type { AttachRequest } from "./attach.ts";
import type { NetworkAttachment, NetworkOptions } from "./types.ts";

export { parseNetworkFlags } from "./options.ts";
export { writeEtcFiles } from "./hosts_sync.ts";
export type { NetworkAttachment, NetworkOptions, PortMapping } from "./types.ts";

/** True when the container gets a CNI attachment (bridge networks; not none/host). */
export function needsAttachment(opts: NetworkOptions): boolean {
  return opts.mode === "bridge";
}

/**
 * Before the container is spawned: make sure its network exists (creating
 * the default `bridge` network on first use), that the CNI plugins are
 * installed, and that fixed host ports are free. No-op for none/host.
 * Requires root (creating the default bridge, reading iptables).
 * @throws {UsageError} published ports on an internal network.
 * @throws {NetworkError} unknown network, missing plugin (names it and the package), busy port.
 */
export async function prepareNetwork(paths: Paths, opts: NetworkOptions): Promise<void> {
  if (!needsAttachment(opts)) return;
  await (await lazy("net/prepare.ts")).prepareBridged(paths, opts);
}

/**
 * Attach a container's netns to its network (CNI ADD); see attach.ts,
 * loaded on first use. @throws {NetworkError} as there.
 */
export async function attachNetwork(paths: Paths, req: AttachRequest): Promise<NetworkAttachment> {
  return await (await lazy("net/attach.ts")).attachNetwork(paths, req);
}

/**
 * Detach a recorded attachment (CNI DEL); see attach.ts, loaded on first
 * use. @throws {NetworkError} as there.
 */
export async function detachNetwork(
  paths: Paths,
  attachment: NetworkAttachment,
  kernel?: Kernel,
): Promise<void> {
  await (await lazy("net/attach.ts")).detachNetwork(paths, attachment, kernel);
}

/**
 * Detach a container known only by id, from tsbox's own record (for a
 * crash between attach and saving the attachment). Without a record, a
 * netns pin of that id (a crash between pinning and writing the record)
 * is still unpinned.
 * @returns whether a record was found.
 * @throws {NetworkError} as `detachNetwork`.
 */
export async function detachContainer(
  paths: Paths,
  containerId: string,
  kernel?: Kernel,
): Promise<boolean> {
  const rec = readRecord(recordPathIn(netDirs(paths).attachments, containerId));
  if (!rec) {
    const handle = join(netDirs(paths).netns, containerId);
    if (exists(handle)) unpinNetns(kernel ?? new LinuxKernel(), handle);
    return false;
  }
  await detachNetwork(paths, rec.attachment, kernel);
  return true;
}

/** Attachments recorded in this state root (live or left by a crash). */
export function listAttachments(paths: Paths): NetworkAttachment[] {
  return listRecords(netDirs(paths).attachments).map((r) => r.attachment);
}
