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

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { exists } from "../fsutil.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { unpinNetns } from "./netns_handle.ts";
import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { cniPathOf, detachNetwork, networkFor } from "./attach.ts";
import { networkInfoOf, requiredPlugins } from "./conflist.ts";
import { assertHostPortsFree } from "./hostports.ts";
import { publishedHostPorts } from "./iptables.ts";
import { requirePlugins } from "./plugins.ts";
import { listRecords, readRecord, recordPathIn } from "./records.ts";
import { netDirs } from "./store.ts";
import type { NetworkAttachment, NetworkOptions } from "./types.ts";

export { parseNetworkFlags } from "./options.ts";
export { attachNetwork, detachNetwork } from "./attach.ts";
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
  const list = await networkFor(paths, opts);
  if (networkInfoOf(list).internal && opts.ports.length) {
    throw new UsageError(`network ${list.name} is internal: ports cannot be published`);
  }
  requirePlugins(requiredPlugins(list), cniPathOf(opts));
  const published = [
    ...await publishedHostPorts(),
    ...listRecords(netDirs(paths).attachments).flatMap((r) => r.attachment.ports),
  ];
  await assertHostPortsFree(opts.ports, published);
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
