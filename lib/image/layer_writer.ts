/**
 * The extractor: a `TarSink` that creates each entry of a layer tar under
 * the pinned layer-root fd, synchronously. Every entry is made with one
 * fd-relative call in its parent's open directory fd (see safe_path.ts),
 * and its metadata is set once, on what was just made: a file's owner,
 * mode, xattrs and times on its own fd (fchown, fchmod, fsetxattr,
 * futimens); a symlink's or device's with the *at calls that do not
 * follow it. OCI whiteouts become overlayfs whiteouts (`.wh.NAME` → char
 * device 0:0 `NAME`), opaque markers (`.wh..wh..opq`) the
 * `trusted.overlay.opaque=y` and `user.overlay.opaque=y` xattrs (the
 * second for overlay mounts with `userxattr`, as rootless ones are).
 * Directory times are set last, after their children were written.
 * Needs root for owners, device nodes and trusted xattrs.
 * @module
 */

import { ImageError, SyscallError } from "../errors.ts";
import {
  AT_EMPTY_PATH,
  AT_SYMLINK_NOFOLLOW,
  makedev,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_RDONLY,
  O_WRONLY,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFMT,
} from "../../ffi/consts.ts";
import type { Kernel } from "../kernel.ts";
import { DirFds, entryComponents, unsafe } from "./safe_path.ts";
import type { TarSink } from "./tar_parse.ts";
import type { TarHeader } from "./tar_read.ts";

/** The kernel calls extraction needs (a fake in tests); the path-based `lchown`/`lutimes` serve the build's COPY staging. */
export type UnpackKernel = Pick<
  Kernel,
  | "lchown"
  | "lutimes"
  | "openat"
  | "mkdirat"
  | "symlinkat"
  | "linkat"
  | "mknodat"
  | "fchownat"
  | "fchmod"
  | "fchmodat"
  | "utimensat"
  | "unlinkat"
  | "fsetxattr"
  | "lsetxattr"
  | "statxMode"
  | "writeFd"
  | "close"
>;

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
/** Opaque-directory markers: overlayfs reads the first, with `userxattr` the second. */
const OPAQUE_XATTRS = ["trusted.overlay.opaque", "user.overlay.opaque"];
const YES = new TextEncoder().encode("y");

/** Writes the entries of one layer under `rootFd`. Call `finish` at the end, `close` always. */
export class LayerWriter implements TarSink {
  readonly #dirs: DirFds;
  /** Directory (relative path) → mtime, applied by `finish`. */
  readonly #dirTimes = new Map<string, number>();
  /** The regular file being written, if any. */
  #file?: { fd: number; h: TarHeader };

  constructor(
    private readonly kernel: UnpackKernel,
    readonly rootFd: number,
    private readonly what: string,
  ) {
    this.#dirs = new DirFds(kernel, rootFd, what);
  }

  /** Entries seen so far. */
  entries = 0;

  /** @throws {ImageError} an unsafe or unsupported entry (names it). @throws {SyscallError} */
  entry(h: TarHeader): void {
    this.entries++;
    const comps = entryComponents(h.name, this.what);
    const n = comps.length;
    if (n === 0) {
      if (h.type !== "directory") {
        throw unsafe(h.name, this.what, "is not a directory, but the layer root must be one");
      }
      this.#setMeta(this.rootFd, h);
      this.#dirTimes.set("", mtimeOf(h));
      return;
    }
    const base = comps[n - 1];
    const parent = this.#dirs.dir(comps, n - 1, true, h.name);
    if (base.startsWith(WHITEOUT)) return this.#whiteout(h, comps, parent, base);
    const rel = comps.join("/");
    const k = this.kernel;
    switch (h.type) {
      case "directory":
        return this.#directory(h, comps, parent, base, rel);
      case "file":
      case "contiguous-file": {
        const fd = this.#create(
          parent,
          base,
          rel,
          () => k.openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600),
        );
        this.#file = { fd, h };
        return;
      }
      case "symlink":
        // the target is stored verbatim and never followed while extracting
        this.#create(parent, base, rel, () => k.symlinkat(h.linkname ?? "", parent, base));
        return this.#setMetaAt(parent, base, h, false);
      case "link":
        return this.#hardlink(h, parent, base, rel);
      case "character-device":
      case "block-device":
      case "fifo": {
        const kind = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
        const dev = makedev(h.devmajor ?? 0, h.devminor ?? 0);
        this.#create(
          parent,
          base,
          rel,
          () => k.mknodat(parent, base, kind | (h.mode & 0o777), dev),
        );
        return this.#setMetaAt(parent, base, h, true);
      }
      default:
        throw new ImageError(
          `${this.what}: unsupported tar entry type "${h.type}" for "${h.name}"`,
        );
    }
  }

  /** Data of the current entry (written only for regular files). */
  data(chunk: Uint8Array): void {
    if (this.#file) this.kernel.writeFd(this.#file.fd, chunk);
  }

  /** The current entry is complete: a file gets its metadata and is closed. */
  end(): void {
    const f = this.#file;
    if (!f) return;
    this.#file = undefined;
    try {
      this.#setMeta(f.fd, f.h);
      // after the last write, which moved the mtime
      this.kernel.utimensat(f.fd, null, mtimeOf(f.h), mtimeOf(f.h), 0);
    } finally {
      this.kernel.close(f.fd);
    }
  }

  /** Set the directory times (after all children exist). */
  finish(): void {
    for (const [rel, t] of this.#dirTimes) {
      let fd = this.rootFd;
      if (rel) {
        const comps = rel.split("/");
        try {
          fd = this.#dirs.dir(comps, comps.length, false, rel);
        } catch (err) {
          // the directory was replaced by a later entry: nothing of it to date
          if (err instanceof ImageError) continue;
          throw err;
        }
      }
      this.kernel.utimensat(fd, null, t, t, 0);
    }
  }

  /** Close every fd this writer opened (not the root). */
  close(): void {
    if (this.#file) {
      this.kernel.close(this.#file.fd);
      this.#file = undefined;
    }
    this.#dirs.closeAll();
  }

  #directory(h: TarHeader, comps: string[], parent: number, base: string, rel: string): void {
    const k = this.kernel;
    if (!this.#dirs.has(rel)) {
      try {
        k.mkdirat(parent, base, 0o700);
      } catch (err) {
        if (!isErrno(err, "EEXIST")) throw err;
        // an existing directory is kept (and gets this entry's metadata); anything else is replaced
        if ((k.statxMode(parent, base, AT_SYMLINK_NOFOLLOW) & S_IFMT) !== S_IFDIR) {
          this.#remove(parent, base, rel);
          k.mkdirat(parent, base, 0o700);
        }
      }
      this.#dirs.add(rel, k.openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0));
    }
    this.#setMeta(this.#dirs.dir(comps, comps.length, false, h.name), h);
    this.#dirTimes.set(rel, mtimeOf(h));
  }

  #whiteout(h: TarHeader, comps: string[], parent: number, base: string): void {
    if (base === OPAQUE) {
      for (const name of OPAQUE_XATTRS) {
        this.#xattr(() => this.kernel.fsetxattr(parent, name, YES), name);
      }
      return;
    }
    if (base.startsWith(WHITEOUT + WHITEOUT)) return; // aufs bookkeeping (.wh..wh.plnk…): nothing to apply
    const victim = base.slice(WHITEOUT.length);
    if (!victim || victim === "." || victim === "..") {
      throw new ImageError(`${this.what}: refusing tar entry "${h.name}": invalid whiteout`);
    }
    const rel = [...comps.slice(0, -1), victim].join("/");
    this.#create(parent, victim, rel, () => this.kernel.mknodat(parent, victim, S_IFCHR, 0n));
  }

  #hardlink(h: TarHeader, parent: number, base: string, rel: string): void {
    const linkname = h.linkname ?? "";
    const target = entryComponents(linkname, this.what);
    if (!target.length) throw unsafe(h.name, this.what, "is a hardlink to the layer root");
    if (target.join("/") === rel) return; // a link to itself changes nothing
    const tbase = target[target.length - 1];
    const link = () => {
      const tparent = this.#dirs.dir(target, target.length - 1, false, h.name, linkname);
      try {
        this.kernel.linkat(tparent, tbase, parent, base);
      } catch (err) {
        if (isErrno(err, "ENOENT")) {
          throw unsafe(
            h.name,
            this.what,
            `is a hardlink to "${linkname}", which is not in this layer`,
          );
        }
        if (isErrno(err, "EPERM") && isDirAt(this.kernel, tparent, tbase)) {
          throw unsafe(h.name, this.what, `is a hardlink to the directory "${linkname}"`);
        }
        throw err;
      }
    };
    this.#create(parent, base, rel, link);
  }

  /** Run `make`; when the name exists, remove what is there and run it again. */
  #create<T>(parent: number, name: string, rel: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw err;
    }
    this.#remove(parent, name, rel);
    return make();
  }

  /** Remove whatever is at `name` in `parent` (a directory with its contents; symlinks are not followed). */
  #remove(parent: number, name: string, rel: string): void {
    try {
      this.kernel.unlinkat(parent, name, 0);
      return;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return;
      if (!isErrno(err, "EISDIR")) throw err;
    }
    this.#dirs.drop(rel);
    for (const k of this.#dirTimes.keys()) {
      if (k === rel || k.startsWith(`${rel}/`)) this.#dirTimes.delete(k);
    }
    // a directory replaced by a later entry (rare): remove its tree below the pinned parent
    Deno.removeSync(`/proc/self/fd/${parent}/${name}`, { recursive: true });
  }

  /** Owner, then mode (chown clears setuid bits), then xattrs — on an fd of the entry itself. */
  #setMeta(fd: number, h: TarHeader): void {
    const k = this.kernel;
    k.fchownat(fd, "", h.uid, h.gid, AT_EMPTY_PATH);
    k.fchmod(fd, h.mode & 0o7777);
    if (!h.pax) return;
    for (const [name, value] of xattrsOf(h)) this.#xattr(() => k.fsetxattr(fd, name, value), name);
  }

  /** The same for an entry that cannot be opened (symlink, device, fifo), by name in its parent. */
  #setMetaAt(parent: number, name: string, h: TarHeader, chmod: boolean): void {
    const k = this.kernel;
    k.fchownat(parent, name, h.uid, h.gid, AT_SYMLINK_NOFOLLOW);
    // fchmodat follows symlinks, so it is only called on a node just made (never a symlink)
    if (chmod) k.fchmodat(parent, name, h.mode & 0o7777);
    if (h.pax) {
      const path = `/proc/self/fd/${parent}/${name}`;
      for (const [x, value] of xattrsOf(h)) {
        if (!chmod && x.startsWith("user.")) continue; // the kernel refuses user.* on symlinks (EPERM)
        this.#xattr(() => k.lsetxattr(path, x, value), x);
      }
    }
    k.utimensat(parent, name, mtimeOf(h), mtimeOf(h), AT_SYMLINK_NOFOLLOW);
  }

  #xattr(set: () => void, name: string): void {
    try {
      set();
    } catch (err) {
      // a filesystem without xattr support for this namespace: docker skips these too
      if (isErrno(err, "EOPNOTSUPP")) return;
      // user.overlay.opaque is only for userxattr mounts: a filesystem refusing user.* on this dir is no error
      if (name === OPAQUE_XATTRS[1] && isErrno(err, "EPERM")) return;
      // rootless (a user namespace): trusted.* needs the host's CAP_SYS_ADMIN; user.* is the mark
      if (name === OPAQUE_XATTRS[0] && isErrno(err, "EPERM")) return;
      throw err;
    }
  }
}

/**
 * Xattrs from PAX records: `SCHILY.xattr.NAME` (GNU tar, Go) and
 * `LIBARCHIVE.xattr.NAME` (base64, bsdtar). Overlay metadata
 * (`trusted.overlay.*`, `user.overlay.*`) is never taken from a tar: only
 * whiteout handling may set it.
 */
export function xattrsOf(h: Pick<TarHeader, "pax">): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const [key, value] of Object.entries(h.pax ?? {})) {
    let name: string;
    let bytes: Uint8Array;
    if (key.startsWith("SCHILY.xattr.")) {
      name = key.slice(13);
      // PAX values are decoded as UTF-8: a binary value is lost, so skip it rather than write wrong bytes
      if (value.includes("\uFFFD")) continue;
      bytes = new TextEncoder().encode(value);
    } else if (key.startsWith("LIBARCHIVE.xattr.")) {
      name = decodeURIComponent(key.slice(17));
      bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    } else continue;
    if (!name || isOverlayXattr(name)) continue;
    out.push([name, bytes]);
  }
  return out;
}

/** True for overlayfs's own xattrs (`trusted.overlay.*`, or `user.overlay.*` of userxattr mounts). */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}

function mtimeOf(h: TarHeader): number {
  const pax = h.pax?.mtime;
  if (pax && /^\d+(\.\d+)?$/.test(pax)) return Number(pax);
  return h.mtime ? h.mtime.getTime() / 1000 : 0;
}

function isErrno(err: unknown, name: string): boolean {
  return err instanceof SyscallError && err.errnoName === name;
}

function isDirAt(k: UnpackKernel, dirfd: number, name: string): boolean {
  try {
    return (k.statxMode(dirfd, name, AT_SYMLINK_NOFOLLOW) & S_IFMT) === S_IFDIR;
  } catch (err) {
    // gone meanwhile: not a directory
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
}
