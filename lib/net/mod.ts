/**
 * Container networking through the standard CNI plugins — the API the run
 * path calls, in this order:
 *
 * 1. `parseNetworkFlags` (options.ts) while parsing `run`/`create` flags;
 * 2. `prepareNetwork` before spawning the init (network exists, plugins
 *    present, fixed host ports free) — nothing container-specific is made;
 * 3. the init unshares its netns; then `attachEndpoints` (an
 *    `attachNetwork` per network it is on: eth0, eth1, …) with
 *    `/proc/<pid>/ns/net` (only when `needsAttachment(opts)`);
 * 4. `writeEtcFiles` into the container dir (also for none/host);
 * 5. on every exit path, `detachNetwork` with each attachment (and
 *    `detachContainer` with just the id, for what the record lost).
 * @module
 */

import { join } from "../posix_path.ts";
import { exists } from "../fsutil.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { unpinNetns } from "./netns_handle.ts";
import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { isKeyOf, listRecords, recordsOf } from "./records.ts";
import { netDirs } from "./dirs.ts";
import { lazy } from "../lazy.ts";
import { NetworkError } from "../errors.ts";
import type { AttachRequest } from "./attach.ts";
import type { NetworkAttachment, NetworkOptions, NetworkRecord } from "./types.ts";
import { endpointsOf, givesDefaultRoute, optionsFor, withAttachment } from "./endpoints.ts";

export { parseNetworkFlags } from "./options.ts";
export { writeEtcFiles } from "./hosts_sync.ts";
export type { NetworkAttachment, NetworkOptions, NetworkRecord, PortMapping } from "./types.ts";

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
 * Attach the netns `netnsPath` of a bridged container to every network it
 * is on (`net`'s endpoints, in order, as eth0, eth1, …). On a failure the
 * attachments made so far are detached again.
 * @returns `net` with the live attachments recorded.
 * @throws {NetworkError} as `attachNetwork` (nothing of it is left).
 */
export async function attachEndpoints(
  paths: Paths,
  container: { id: string; name: string; hostname: string },
  net: NetworkRecord,
  netnsPath: string,
  kernel?: Kernel,
): Promise<NetworkRecord> {
  let out: NetworkRecord = net;
  const made: NetworkAttachment[] = [];
  try {
    for (const [i, ep] of endpointsOf(net).entries()) {
      const att = await attachNetwork(paths, {
        containerId: container.id,
        containerName: container.name,
        hostname: container.hostname,
        netnsPath,
        opts: optionsFor(net.opts, ep),
        ifname: `eth${i}`,
        endpoint: { ip: ep.ip, aliases: ep.aliases },
        // one default gateway: the first network that gives one (docker's gateway endpoint)
        defaultRoute: !made.some(givesDefaultRoute),
        kernel,
      });
      made.push(att);
      out = withAttachment(out, att);
    }
  } catch (err) {
    try {
      for (const a of made.reverse()) await detachNetwork(paths, a, kernel);
    } catch (undoErr) {
      // its record stays: the teardown of the failed start retries it
      throw new NetworkError(
        `${(err as Error).message} (and undoing it failed: ${(undoErr as Error).message})`,
        { op: "attach", cause: err },
      );
    }
    throw err;
  }
  return out;
}

/**
 * Detach a container known only by id, from tsbox's own records (every
 * interface; for a crash between attach and saving the attachment). A
 * netns pin of that id without a record (a crash between pinning and
 * writing the record) is still unpinned.
 * @returns whether a record was found.
 * @throws {NetworkError} as `detachNetwork`.
 */
export async function detachContainer(
  paths: Paths,
  containerId: string,
  kernel?: Kernel,
): Promise<boolean> {
  const dirs = netDirs(paths);
  const recs = recordsOf(dirs.attachments, containerId);
  for (const rec of recs) await detachNetwork(paths, rec.attachment, kernel);
  for (const name of pinsOf(dirs.netns, containerId)) {
    unpinNetns(kernel ?? new LinuxKernel(), join(dirs.netns, name));
  }
  return recs.length > 0;
}

/** Names of the netns handles of `containerId` in `dir`. */
function pinsOf(dir: string, containerId: string): string[] {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // no netns was ever pinned
    throw err;
  }
  return names.filter((n) => isKeyOf(n, containerId) && exists(join(dir, n)));
}

/** Attachments recorded in this state root (live or left by a crash). */
export function listAttachments(paths: Paths): NetworkAttachment[] {
  return listRecords(netDirs(paths).attachments).map((r) => r.attachment);
}
