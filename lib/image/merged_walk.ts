/**
 * Walk the union of overlay-form directories (a container's upper dir on
 * top of its image layers) as the container sees its filesystem: a name in
 * a higher directory hides lower ones, whiteouts delete, opaque
 * directories hide everything below them. Every directory is pinned with
 * openat2 (no symlinks, never outside its root), as in layer_walk.ts.
 * Used by `export` (a flattened tar). Needs root for `trusted.*` xattrs.
 * @module
 */

import { O_DIRECTORY, O_NOFOLLOW, openat2, openPath } from "../../ffi/openat.ts";
import { closeFd } from "../../ffi/fds.ts";
import { byteOrder, describeEntry, openPinned, RESOLVE, type WalkEntry } from "./layer_walk.ts";

const O_RDONLY = 0;

/**
 * Yield the merged tree of `dirs` (top first), parents before children,
 * names in byte order; no whiteouts and no opaque flags in the output.
 * @throws {SyscallError} a directory vanished or was replaced mid-walk.
 */
export async function* walkMerged(dirs: string[]): AsyncGenerator<WalkEntry> {
  const fds = dirs.map((d) => openPath(d, O_DIRECTORY | O_RDONLY));
  try {
    yield* mergeDir(fds, "", new Map());
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}

function lstatIn(fd: number, name: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(`/proc/self/fd/${fd}/${name}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // not in this layer
    throw err;
  }
}

const isWhiteout = (st: Deno.FileInfo) => st.isCharDevice === true && (st.rdev ?? 0) === 0;

async function* mergeDir(
  fds: number[],
  prefix: string,
  links: Map<string, string>,
): AsyncGenerator<WalkEntry> {
  const names = new Set<string>();
  for (const fd of fds) for (const e of Deno.readDirSync(`/proc/self/fd/${fd}`)) names.add(e.name);
  for (const name of [...names].sort(byteOrder)) {
    const path = prefix ? `${prefix}/${name}` : name;
    const top = fds.findIndex((fd) => lstatIn(fd, name) !== undefined);
    if (top < 0) continue; // removed since the listing
    const st = lstatIn(fds[top], name)!;
    if (isWhiteout(st) || st.isSocket) continue;
    const base = `/proc/self/fd/${fds[top]}`;
    const entry = describeEntry(base, name, path, st);
    const opaque = entry.opaque === true;
    delete entry.opaque;
    if (entry.type === "file" && (st.nlink ?? 1) > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        entry.hardlinkOf = first;
        entry.size = 0;
      } else links.set(key, path);
    }
    if (entry.type === "file" && !entry.hardlinkOf) {
      const fd = fds[top];
      entry.open = () => openPinned(fd, name, path);
    }
    yield entry;
    if (entry.type !== "dir") continue;
    const sub = [openat2(fds[top], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, RESOLVE)];
    try {
      if (!opaque) {
        for (const fd of fds.slice(top + 1)) {
          const lower = lstatIn(fd, name);
          if (!lower) continue;
          if (!lower.isDirectory) break; // a file or whiteout ends the union here
          const d = openat2(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, RESOLVE);
          sub.push(d);
          if (describeEntry(`/proc/self/fd/${fd}`, name, path, lower).opaque) break;
        }
      }
      yield* mergeDir(sub, path, links);
    } finally {
      for (const fd of sub) closeFd(fd);
    }
  }
}
