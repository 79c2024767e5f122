/**
 * What a remapped container owns on the host: its root is an ordinary
 * host uid there, so the dirs the init mounts as that root must be its own
 * (the overlay's upper and work dirs, the mountpoints of its idmapped
 * layers, a named volume it creates), and the state dirs above them must be
 * traversable (x for others, no listing) — docker's 0711 on its root.
 * Image layers stay untouched: they are idmapped, not chowned.
 * Requires root.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import { hostIdOf, type UsernsRecord } from "./maps.ts";

/** The host uid and gid of the container's root. */
export function rootIds(u: UsernsRecord): { uid: number; gid: number } {
  return { uid: hostIdOf(u.uidMappings, 0)!, gid: hostIdOf(u.gidMappings, 0)! };
}

/** Where the init attaches idmapped layer `i` of container dir `dir`. */
export function lowerMountpoint(dir: string, i: number): string {
  return join(dir, "lower", String(i));
}

/** Add the search bit for group and others to a dir (never take any away). */
export function traversable(path: string): void {
  const mode = Deno.statSync(path).mode! & 0o7777;
  if ((mode & 0o011) !== 0o011) Deno.chmodSync(path, mode | 0o011);
}

/**
 * At create, in the (staging) container dir: the overlay dirs and one
 * mountpoint per layer owned by the container's root; state dirs
 * traversable; named volumes this container created owned by its root.
 */
export function ownForUserns(
  paths: Paths,
  dir: string,
  layers: number,
  mounts: unknown[],
  u: UsernsRecord,
): void {
  const { uid, gid } = rootIds(u);
  for (const p of [paths.root, paths.containers, dir]) traversable(p);
  for (const d of ["upper", "work", "merged"]) Deno.chownSync(join(dir, d), uid, gid);
  Deno.mkdirSync(join(dir, "lower"), { mode: 0o700 });
  Deno.chownSync(join(dir, "lower"), uid, gid);
  for (let i = 0; i < layers; i++) {
    Deno.mkdirSync(lowerMountpoint(dir, i), { mode: 0o700 });
    Deno.chownSync(lowerMountpoint(dir, i), uid, gid);
  }
  for (const m of mounts as PreparedMount[]) {
    if (!m.volume) continue;
    traversable(paths.volumes);
    traversable(m.volume.dir);
    // docker: a volume made by a remapped container belongs to the mapped root
    if (m.volume.created) Deno.chownSync(m.source, uid, gid);
  }
}

/** The generated /etc files are the container root's, as in docker (it may edit /etc/hosts). */
export function ownEtcFiles(files: string[], u: UsernsRecord): void {
  const { uid, gid } = rootIds(u);
  for (const f of files) Deno.chownSync(f, uid, gid);
}
