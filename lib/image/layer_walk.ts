/**
 * Walk a directory in overlayfs form (a container's upper dir, or an
 * unpacked layer) in sorted order, as the entries of an OCI layer: char
 * devices 0:0 are whiteouts, `trusted.overlay.opaque=y` marks an opaque
 * directory, other `trusted.overlay.*` and all `user.overlay.*` attributes
 * (the unpacker's opaque marker for userxattr mounts) are overlay bookkeeping
 * and are dropped. Every directory is pinned with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV) and read through
 * `/proc/self/fd/N`, so a symlink swapped in by a running container never
 * leads the walk outside the root. Needs root to read `trusted.*` xattrs.
 * @module
 */

import { ImageError, SyscallError } from "../errors.ts";
import {
  O_DIRECTORY,
  O_NOFOLLOW,
  openat2,
  openPath,
  RESOLVE_BENEATH,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
} from "../../ffi/openat.ts";
import { closeFd } from "../../ffi/fds.ts";
import { lgetxattr, llistxattr } from "../../ffi/xattr.ts";

/** Kind of a layer entry. */
export type EntryType = "dir" | "file" | "symlink" | "char" | "block" | "fifo" | "whiteout";

/** One entry of a layer, in tar order. */
export interface WalkEntry {
  /** Path below the root, no leading slash (`etc/passwd`). */
  path: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in whole seconds. */
  mtime: number;
  size: number;
  /** Symlink target. */
  linkname?: string;
  /** An earlier entry this one is a hard link of. */
  hardlinkOf?: string;
  devmajor?: number;
  devminor?: number;
  /** Directory marked opaque (its lower contents are hidden). */
  opaque?: boolean;
  /** Extended attributes (overlay's own removed), sorted by name. */
  xattrs: [string, Uint8Array][];
  /** Open a regular file's content (pinned below the root). */
  open?: () => Promise<Deno.FsFile>;
}

/** openat2 restrictions for every open below a layer root. */
export const RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
  RESOLVE_NO_MAGICLINKS;
const O_RDONLY = 0;

/**
 * Yield the entries under `root` (the root itself excluded), parents
 * before children, names in byte order. Sockets are skipped (docker does),
 * and so are the paths in `exclude` (relative, e.g. `etc/hosts`).
 * @throws {ImageError} overlay redirects/metacopy (cannot be represented).
 * @throws {SyscallError} a directory vanished or was replaced mid-walk.
 */
export async function* walkLayerDir(
  root: string,
  opts: { exclude?: ReadonlySet<string> } = {},
): AsyncGenerator<WalkEntry> {
  const rootFd = openPath(root, O_DIRECTORY | O_RDONLY);
  const links = new Map<string, string>();
  try {
    yield* walkDir(rootFd, "", links, opts.exclude ?? new Set());
  } finally {
    closeFd(rootFd);
  }
}

async function* walkDir(
  dirFd: number,
  prefix: string,
  links: Map<string, string>,
  exclude: ReadonlySet<string>,
): AsyncGenerator<WalkEntry> {
  const base = `/proc/self/fd/${dirFd}`;
  const names = [...Deno.readDirSync(base)].map((e) => e.name).sort(byteOrder);
  for (const name of names) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (exclude.has(path)) continue;
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(`${base}/${name}`);
    } catch (err) {
      // removed by the running container since the listing: it is not part of the layer
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    if (st.isSocket) continue;
    const entry = describeEntry(base, name, path, st);
    if (entry.type === "file" && (st.nlink ?? 1) > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        entry.hardlinkOf = first;
        entry.size = 0;
      } else links.set(key, path);
    }
    if (entry.type === "file" && !entry.hardlinkOf) {
      entry.open = () => openPinned(dirFd, name, path);
    }
    yield entry;
    if (entry.type !== "dir") continue;
    const fd = openat2(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, RESOLVE);
    try {
      yield* walkDir(fd, path, links, exclude);
    } finally {
      closeFd(fd);
    }
  }
}

/**
 * The entry for `name` in the directory `base` (a `/proc/self/fd/N` path),
 * shown at `path`: type, metadata and xattrs (overlay's own dropped).
 * @throws {ImageError} overlay redirect/metacopy xattrs.
 */
export function describeEntry(
  base: string,
  name: string,
  path: string,
  st: Deno.FileInfo,
): WalkEntry {
  const full = `${base}/${name}`;
  const e: WalkEntry = {
    path,
    type: "file",
    mode: (st.mode ?? 0) & 0o7777,
    uid: st.uid ?? 0,
    gid: st.gid ?? 0,
    mtime: Math.floor((st.mtime?.getTime() ?? 0) / 1000),
    size: 0,
    xattrs: [],
  };
  const rdev = st.rdev ?? 0;
  if (st.isDirectory) e.type = "dir";
  else if (st.isSymlink) {
    e.type = "symlink";
    e.linkname = Deno.readLinkSync(full);
  } else if (st.isCharDevice && rdev === 0) e.type = "whiteout";
  else if (st.isCharDevice || st.isBlockDevice) {
    e.type = st.isCharDevice ? "char" : "block";
    // glibc's major()/minor() of a 64-bit dev_t
    e.devmajor = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & 0xfffff000);
    e.devminor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  } else if (st.isFifo) e.type = "fifo";
  else e.size = st.size;
  if (e.type === "whiteout") return e;
  for (const x of llistxattr(full)) {
    const value = lgetxattr(full, x);
    if (value === undefined) continue; // removed between list and get
    // user.* is what a userxattr overlay (user namespaces, rootless) writes
    if (x === "trusted.overlay.opaque" || x === "user.overlay.opaque") {
      e.opaque ||= new TextDecoder().decode(value) === "y";
      continue;
    }
    if (x.startsWith("user.overlay.")) continue; // overlay bookkeeping, never image content
    if (x === "trusted.overlay.redirect" || x === "trusted.overlay.metacopy") {
      throw new ImageError(
        `cannot represent /${path} in a layer: overlayfs ${x.slice(16)} entries are not supported`,
        { hint: "mount overlays with redirect_dir=off,metacopy=off" },
      );
    }
    // user.overlay.opaque is the unpacker's marker for userxattr mounts; a trusted-mode
    // overlay copies it up like any xattr, so in an upper dir it says nothing: dropped
    if (x.startsWith("trusted.overlay.") || x.startsWith("user.overlay.")) continue;
    e.xattrs.push([x, value]);
  }
  return e;
}

/** Open `name` in the pinned directory `dirFd` for reading (no symlink anywhere). */
export async function openPinned(dirFd: number, name: string, path: string): Promise<Deno.FsFile> {
  let fd: number;
  try {
    fd = openat2(dirFd, name, O_RDONLY | O_NOFOLLOW, RESOLVE);
  } catch (err) {
    if (err instanceof SyscallError && err.errnoName === "ELOOP") {
      throw new ImageError(`/${path} was replaced by a symlink while being read`);
    }
    throw err;
  }
  try {
    return await Deno.open(`/proc/self/fd/${fd}`);
  } finally {
    closeFd(fd);
  }
}

/** Compare as UTF-8 bytes (tar/Go order), not UTF-16 units. */
export function byteOrder(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
