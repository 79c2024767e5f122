/**
 * `diffContainer`: what changed in a container's filesystem, as `docker
 * diff` reports it — `A` added, `C` changed, `D` deleted, sorted by path;
 * a whiteout or an opaque directory over an existing one is a deletion,
 * parents of a change count as changed, a directory whose mode and owner
 * match the image's is not a change by itself, and the files tsbox
 * generates (/etc/hosts, /etc/hostname, /etc/resolv.conf) are not changes.
 * Needs root.
 * @module
 */

import type { ContainerRecord } from "./store.ts";
import { walkLayerDir } from "../image/layer_walk.ts";
import { mergedStat } from "../image/lower_stat.ts";
import { byteOrder } from "../image/layer_walk.ts";
import { GENERATED_FILES } from "./commit.ts";

/** One change line. */
export interface Change {
  kind: "A" | "C" | "D";
  path: string;
}

/** The changes of `rec`, in docker's order. */
export async function diffContainer(rec: ContainerRecord): Promise<Change[]> {
  const lowers = [...rec.config.image.layerDirs].reverse();
  const changes = new Map<string, Change["kind"]>();
  for await (const e of walkLayerDir(`${rec.dir}/upper`, { exclude: GENERATED_FILES })) {
    const path = `/${e.path}`;
    const lower = mergedStat(lowers, e.path);
    if (e.type === "whiteout") {
      changes.set(path, "D");
      continue;
    }
    if (e.type === "dir" && e.opaque && lower) {
      changes.set(path, "D");
      continue;
    }
    if (!lower) changes.set(path, "A");
    else if (
      e.type !== "dir" || !lower.isDirectory || (lower.mode! & 0o7777) !== e.mode ||
      lower.uid !== e.uid || lower.gid !== e.gid
    ) changes.set(path, "C");
  }
  for (const path of [...changes.keys()]) {
    for (let p = parent(path); p !== "/"; p = parent(p)) if (!changes.has(p)) changes.set(p, "C");
  }
  return [...changes].map(([path, kind]) => ({ kind, path })).sort((a, b) =>
    byteOrder(a.path, b.path)
  );
}

function parent(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}
