/**
 * Apply a layer tar to a directory: files, dirs, symlinks, hardlinks,
 * devices and fifos with modes (incl. setuid/sticky), owners, xattrs and
 * mtimes; OCI whiteouts become overlayfs whiteouts (`.wh.NAME` → char
 * device 0:0 `NAME`) and opaque dirs (`.wh..wh..opq` →
 * `trusted.overlay.opaque=y`). Nothing is ever written outside `dest`
 * (see safe_path.ts). Needs root for chown/mknod/trusted xattrs.
 * @module
 */

import { join } from "node:path";
import type { Kernel } from "../kernel.ts";
import { ImageError, SyscallError } from "../errors.ts";
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO } from "../../ffi/consts.ts";
import { drainEntry, type TarEntry, type TarHeader } from "./tar_read.ts";
import { ensureDirChain, entryComponents, resolveLinkTarget } from "./safe_path.ts";

/** The kernel calls extraction needs (a fake in tests). */
export type UnpackKernel = Pick<Kernel, "mknod" | "lchown" | "lsetxattr" | "lutimes">;

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const OPAQUE_XATTR = "trusted.overlay.opaque";
/** What overlayfs reads instead when mounted with `userxattr` (user namespaces, rootless). */
const USER_OPAQUE_XATTR = "user.overlay.opaque";

/**
 * Mark `dir` opaque for both kinds of overlay mount. trusted.* needs
 * CAP_SYS_ADMIN of the host: rootless, only the user.* mark can be set.
 */
function markOpaque(kernel: UnpackKernel, dir: string): void {
  const y = new TextEncoder().encode("y");
  try {
    kernel.lsetxattr(dir, OPAQUE_XATTR, y);
  } catch (err) {
    if (!(err instanceof SyscallError && err.errnoName === "EPERM")) throw err; // rootless
  }
  kernel.lsetxattr(dir, USER_OPAQUE_XATTR, y);
}

/**
 * Extract every entry of `entries` into `dest` (an existing empty dir).
 * Directory mtimes are set last, after their children were written.
 * @throws {ImageError} an unsafe or unsupported entry (names it).
 * @throws {SyscallError} a kernel call failed.
 */
export async function extractLayer(
  entries: AsyncIterable<TarEntry>,
  dest: string,
  kernel: UnpackKernel,
  what: string,
): Promise<void> {
  const dirTimes = new Map<string, number>();
  for await (const entry of entries) {
    await applyEntry(entry, dest, kernel, what, dirTimes);
  }
  for (const [path, mtime] of dirTimes) kernel.lutimes(path, mtime, mtime);
}

async function applyEntry(
  entry: TarEntry,
  dest: string,
  kernel: UnpackKernel,
  what: string,
  dirTimes: Map<string, number>,
): Promise<void> {
  const h = entry.header;
  const comps = entryComponents(h.name, what);
  const base = comps.at(-1) ?? "";
  const parent = ensureDirChain(dest, comps.slice(0, -1), h.name, what);

  if (base.startsWith(WHITEOUT)) {
    await drainEntry(entry);
    if (base === OPAQUE) return markOpaque(kernel, parent);
    if (base.startsWith(WHITEOUT + WHITEOUT)) return; // aufs bookkeeping (.wh..wh.plnk…): nothing to apply
    const victim = base.slice(WHITEOUT.length);
    if (!victim || victim === "." || victim === "..") {
      throw new ImageError(`${what}: refusing tar entry "${h.name}": invalid whiteout`);
    }
    const p = join(parent, victim);
    removeExisting(p);
    kernel.mknod(p, S_IFCHR, makedev(0, 0));
    return;
  }

  const path = comps.length ? join(parent, base) : dest;
  if (!comps.length && h.type !== "directory") {
    throw new ImageError(
      `${what}: refusing tar entry "${h.name}": the layer root must be a directory`,
    );
  }
  switch (h.type) {
    case "directory": {
      if (!isRealDir(path)) {
        removeExisting(path);
        Deno.mkdirSync(path, { mode: 0o700 });
      }
      setMeta(path, h, kernel, true);
      dirTimes.set(path, mtimeOf(h));
      await drainEntry(entry);
      return;
    }
    case "file":
    case "contiguous-file": {
      removeExisting(path);
      await writeFile(path, entry);
      setMeta(path, h, kernel, true);
      kernel.lutimes(path, mtimeOf(h), mtimeOf(h));
      return;
    }
    case "symlink": {
      await drainEntry(entry);
      removeExisting(path);
      // the target is stored verbatim and never followed while extracting
      Deno.symlinkSync(h.linkname ?? "", path);
      setMeta(path, h, kernel, false);
      kernel.lutimes(path, mtimeOf(h), mtimeOf(h));
      return;
    }
    case "link": {
      await drainEntry(entry);
      const target = resolveLinkTarget(dest, h.linkname ?? "", h.name, what);
      if (target === path) return; // a link to itself changes nothing
      removeExisting(path);
      Deno.linkSync(target, path);
      return;
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      await drainEntry(entry);
      removeExisting(path);
      const kind = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
      kernel.mknod(path, kind | (h.mode & 0o777), makedev(h.devmajor ?? 0, h.devminor ?? 0));
      setMeta(path, h, kernel, true);
      kernel.lutimes(path, mtimeOf(h), mtimeOf(h));
      return;
    }
    default:
      throw new ImageError(`${what}: unsupported tar entry type "${h.type}" for "${h.name}"`);
  }
}

/** Owner, then mode (chown clears setuid bits, so chmod comes after), then xattrs. */
function setMeta(path: string, h: TarHeader, kernel: UnpackKernel, chmod: boolean): void {
  kernel.lchown(path, h.uid, h.gid);
  // chmod follows symlinks, so it is only called on what we just made (never a symlink)
  if (chmod) Deno.chmodSync(path, h.mode & 0o7777);
  for (const [name, value] of xattrsOf(h)) {
    if (!chmod && name.startsWith("user.")) continue; // the kernel refuses user.* on symlinks (EPERM)
    try {
      kernel.lsetxattr(path, name, value);
    } catch (err) {
      // a filesystem without xattr support for this namespace: docker skips these too
      if (err instanceof SyscallError && err.errnoName === "EOPNOTSUPP") continue;
      throw err;
    }
  }
}

/**
 * Xattrs from PAX records: `SCHILY.xattr.NAME` (GNU tar, Go) and
 * `LIBARCHIVE.xattr.NAME` (base64, bsdtar). `trusted.overlay.*` is never
 * taken from a tar: only whiteout handling may set overlay metadata.
 */
export function xattrsOf(h: Pick<TarHeader, "pax">): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const [key, value] of Object.entries(h.pax ?? {})) {
    let name: string;
    let bytes: Uint8Array;
    if (key.startsWith("SCHILY.xattr.")) {
      name = key.slice(13);
      // tar-stream decodes PAX values as UTF-8: a binary value is lost, so skip it rather than write wrong bytes
      if (value.includes("\uFFFD")) continue;
      bytes = new TextEncoder().encode(value);
    } else if (key.startsWith("LIBARCHIVE.xattr.")) {
      name = decodeURIComponent(key.slice(17));
      bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    } else continue;
    if (!name || name.startsWith("trusted.overlay.")) continue;
    out.push([name, bytes]);
  }
  return out;
}

function mtimeOf(h: TarHeader): number {
  const pax = h.pax?.mtime;
  if (pax && /^\d+(\.\d+)?$/.test(pax)) return Number(pax);
  return h.mtime ? h.mtime.getTime() / 1000 : 0;
}

function isRealDir(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Remove whatever is at `path` (a dir recursively; symlinks are not followed). */
function removeExisting(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function writeFile(path: string, entry: TarEntry): Promise<void> {
  // createNew: never open through something that appeared at this path
  const f = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
  try {
    for await (const chunk of entry) {
      let off = 0;
      while (off < chunk.length) off += f.writeSync(chunk.subarray(off));
    }
  } finally {
    f.close();
  }
}
