/**
 * Path safety for layer extraction: every tar entry name (and hardlink
 * target) is reduced to components inside the layer dir, and every
 * directory on the way is reached by `openat(parent_fd, name,
 * O_DIRECTORY|O_NOFOLLOW)` from the pinned layer-root fd — so a symlink or
 * a non-directory anywhere on the way is refused by the kernel, never
 * followed, and nothing outside the layer can be named. The open directory
 * fds are kept (a small LRU by relative path), so an entry whose parent was
 * seen recently costs no path resolution at all; the extractor drops the
 * fds of whatever it removes or replaces.
 * @module
 */

import { ImageError, SyscallError } from "../errors.ts";
import {
  AT_SYMLINK_NOFOLLOW,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_RDONLY,
  S_IFLNK,
  S_IFMT,
} from "../../ffi/consts.ts";
import type { Kernel } from "../kernel.ts";

/** The kernel calls directory resolution needs. */
export type DirKernel = Pick<Kernel, "openat" | "mkdirat" | "fchmod" | "close" | "statxMode">;

/**
 * Components of a tar entry name, relative to the layer root. `./` and
 * empty components are dropped; `[]` means the root itself.
 * @throws {ImageError} absolute name, a `..` component, or a NUL byte.
 */
export function entryComponents(name: string, what: string): string[] {
  if (name.includes("\0")) throw unsafe(name, what, "contains a NUL byte");
  // a lone "/" is the layer root itself (umoci writes one); any other absolute name is refused
  if (name.startsWith("/") && name.replace(/^\/+\.?\/*$/, "") !== "") {
    throw unsafe(name, what, "is an absolute path");
  }
  const comps = name.split("/").filter((c) => c !== "" && c !== ".");
  if (comps.includes("..")) throw unsafe(name, what, "has a '..' component");
  return comps;
}

/** Open fds of the directories of one layer, by path relative to its root (`""` is the root). */
export class DirFds {
  #cache = new Map<string, number>();

  /**
   * @param rootFd the layer root (owned by the caller, never closed here).
   * @param capacity fds kept open besides the root.
   */
  constructor(
    private readonly kernel: DirKernel,
    readonly rootFd: number,
    private readonly what: string,
    private readonly capacity = 64,
  ) {}

  /**
   * The fd of the real directory `comps[0..n)`. It stays open until the
   * second `dir` call after this one (so two can be used together, as a
   * hardlink's two parents are) or until `drop`. Missing
   * directories are created (mode 0755, like docker) when `create`.
   * @param link when resolving a hardlink's target: its link name (for the messages).
   * @throws {ImageError} a symlink or non-directory on the way; a missing one without `create`.
   * @throws {SyscallError} another failure.
   */
  dir(comps: string[], n: number, create: boolean, entryName: string, link?: string): number {
    if (n === 0) return this.rootFd;
    this.#trim();
    const rel = n === comps.length ? comps.join("/") : comps.slice(0, n).join("/");
    const hit = this.#get(rel);
    if (hit !== undefined) return hit;
    // the longest cached prefix, then one openat per component below it
    let i = n - 1;
    let fd = this.rootFd;
    let prefix = "";
    for (; i > 0; i--) {
      prefix = comps.slice(0, i).join("/");
      const f = this.#get(prefix);
      if (f !== undefined) {
        fd = f;
        break;
      }
    }
    if (i === 0) prefix = "";
    for (; i < n; i++) {
      prefix = prefix ? `${prefix}/${comps[i]}` : comps[i];
      fd = this.#child(fd, comps[i], create, entryName, link, prefix);
      this.add(prefix, fd);
    }
    return fd;
  }

  /** True when `rel` is a directory this cache holds open. */
  has(rel: string): boolean {
    return this.#cache.has(rel);
  }

  /** Keep `fd` (an open real directory at `rel`) as the most recently used. */
  add(rel: string, fd: number): void {
    const old = this.#cache.get(rel);
    if (old !== undefined && old !== fd) this.kernel.close(old);
    this.#cache.delete(rel);
    this.#cache.set(rel, fd);
  }

  /** Close the least recently used fds beyond capacity (only at the start of `dir`). */
  #trim(): void {
    while (this.#cache.size > this.capacity) {
      const [oldest, fd] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      this.kernel.close(fd);
    }
  }

  /** Close and forget `rel` and everything below it (it is being removed or replaced). */
  drop(rel: string): void {
    const below = `${rel}/`;
    for (const [k, fd] of this.#cache) {
      if (k === rel || k.startsWith(below)) {
        this.#cache.delete(k);
        this.kernel.close(fd);
      }
    }
  }

  /** Close every fd (not the root). */
  closeAll(): void {
    for (const fd of this.#cache.values()) this.kernel.close(fd);
    this.#cache.clear();
  }

  #isSymlink(parent: number, name: string): boolean {
    return (this.kernel.statxMode(parent, name, AT_SYMLINK_NOFOLLOW) & S_IFMT) === S_IFLNK;
  }

  #get(rel: string): number | undefined {
    const fd = this.#cache.get(rel);
    if (fd !== undefined) {
      // most recently used goes last
      this.#cache.delete(rel);
      this.#cache.set(rel, fd);
    }
    return fd;
  }

  #child(
    parent: number,
    name: string,
    create: boolean,
    entryName: string,
    link: string | undefined,
    shown: string,
  ): number {
    const open = () => this.kernel.openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    try {
      return open();
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ELOOP or ENOTDIR: say which it was
      if (
        err.errnoName === "ELOOP" || (err.errnoName === "ENOTDIR" && this.#isSymlink(parent, name))
      ) {
        throw unsafe(
          entryName,
          this.what,
          link ? `is a hardlink through the symlink ${shown}` : `traverses the symlink ${shown}`,
        );
      }
      if (err.errnoName === "ENOTDIR" || (err.errnoName === "ENOENT" && (link || !create))) {
        throw unsafe(
          entryName,
          this.what,
          link
            ? `is a hardlink to "${link}", which is not in this layer`
            : err.errnoName === "ENOTDIR"
            ? "has a parent that is not a directory"
            : `needs the missing directory ${shown}`,
        );
      }
      if (err.errnoName !== "ENOENT") throw err;
    }
    // missing parent: tars may omit directory entries
    this.kernel.mkdirat(parent, name, 0o755);
    const fd = open();
    this.kernel.fchmod(fd, 0o755); // mkdir honours the umask
    return fd;
  }
}

/** The "refusing tar entry" error for `name`. */
export function unsafe(name: string, what: string, why: string): ImageError {
  return new ImageError(`${what}: refusing tar entry "${name}": it ${why}`);
}
