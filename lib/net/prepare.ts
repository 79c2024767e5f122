/**
 * The bridged half of `prepareNetwork` (mod.ts): loaded only for a
 * container that gets a CNI attachment, so a none/host run does not load
 * the conflist, plugin, iptables and host-port code.
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Paths } from "../paths.ts";
import { cniPathOf, networkFor } from "./attach.ts";
import { networkInfoOf, requiredPlugins } from "./conflist.ts";
import { assertHostPortsFree } from "./hostports.ts";
import { publishedHostPorts } from "./iptables.ts";
import { requirePlugins } from "./plugins.ts";
import { listRecords } from "./records.ts";
import { netDirs } from "./dirs.ts";
import type { NetworkOptions } from "./types.ts";

/**
 * Make sure a bridged container's network exists (creating the default
 * `bridge` network on first use), that the CNI plugins are installed, and
 * that fixed host ports are free. Requires root.
 * @throws as `prepareNetwork` (mod.ts).
 */
export async function prepareBridged(paths: Paths, opts: NetworkOptions): Promise<void> {
  const list = await networkFor(paths, opts);
  if (networkInfoOf(list).internal && opts.ports.length) {
    throw new UsageError(`network ${list.name} is internal: ports cannot be published`);
  }
  requirePlugins(requiredPlugins(list), cniPathOf(opts));
  if (!opts.ports.length) return; // nothing to publish: the nat table is not read
  const published = [
    ...await publishedHostPorts(),
    ...listRecords(netDirs(paths).attachments).flatMap((r) => r.attachment.ports),
  ];
  await assertHostPortsFree(opts.ports, published);
}
