/**
 * fd-relative file system calls (`openat`, `mkdirat`, `symlinkat`,
 * `linkat`, `mknodat`, `fchownat`, `fchmod`, `fchmodat`, `utimensat`,
 * `unlinkat`, `fsetxattr`, `statx`) plus `write`/`close` on raw fds: what
 * layer extraction needs to create every entry under a pinned directory fd
 * and set its metadata on the fd it just made. O_CLOEXEC is always added
 * to opens. Requires `--allow-ffi`; owners, device nodes and `trusted.*`
 * xattrs need root.
 * @module
 */

import { errno, libc } from "./libc.ts";
import { cstr } from "./cstring.ts";
import { check, syscallError } from "./syscall.ts";
import {
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  O_CLOEXEC,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from "./consts.ts";

/** statx(2) mask: file type and mode. */
const STATX_MODE = 0x2;
const ENOENT = 2;
/** statx(2) stx_attributes bit: the file is the root of a mount (Linux ≥ 5.8). */
const STATX_ATTR_MOUNT_ROOT = 0x2000;
/** statx(2) flag: `name` "" means `dirfd` itself. */
const AT_EMPTY_PATH = 0x1000;
const EINTR = 4;

type Buf = Uint8Array<ArrayBuffer>;

/** openat(2); returns the fd. @throws {SyscallError} */
export function openat(dirfd: number, name: string, flags: number, mode: number): number {
  return check("openat", libc().openat(dirfd, cstr(name), flags | O_CLOEXEC, mode), name);
}

/** mkdirat(2) (the mode is masked by the umask). @throws {SyscallError} */
export function mkdirat(dirfd: number, name: string, mode: number): void {
  check("mkdirat", libc().mkdirat(dirfd, cstr(name), mode), name);
}

/** symlinkat(2): `name` in `dirfd` pointing at `target` (stored verbatim). @throws {SyscallError} */
export function symlinkat(target: string, dirfd: number, name: string): void {
  check("symlinkat", libc().symlinkat(cstr(target), dirfd, cstr(name)), name);
}

/** linkat(2) without AT_SYMLINK_FOLLOW (a symlink is linked, not followed). @throws {SyscallError} */
export function linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
  check("linkat", libc().linkat(olddirfd, cstr(oldname), newdirfd, cstr(newname), 0), newname);
}

/** mknodat(2); `mode` includes the file type. @throws {SyscallError} */
export function mknodat(dirfd: number, name: string, mode: number, dev: bigint): void {
  check("mknodat", libc().mknodat(dirfd, cstr(name), mode, dev), name);
}

/** fchownat(2) (`name` "" with AT_EMPTY_PATH: the fd itself). @throws {SyscallError} */
export function fchownat(
  dirfd: number,
  name: string,
  uid: number,
  gid: number,
  flags: number,
): void {
  check("fchownat", libc().fchownat(dirfd, cstr(name), uid, gid, flags), name || String(dirfd));
}

/** fchmod(2). @throws {SyscallError} */
export function fchmod(fd: number, mode: number): void {
  check("fchmod", libc().fchmod(fd, mode), String(fd));
}

/** fchmodat(2) (follows a final symlink: only for what the caller just made). @throws {SyscallError} */
export function fchmodat(dirfd: number, name: string, mode: number): void {
  check("fchmodat", libc().fchmodat(dirfd, cstr(name), mode, 0), name);
}

/**
 * utimensat(2) with times in seconds (may be fractional); `name` null sets
 * the times of `dirfd` itself (futimens(3)). @throws {SyscallError}
 */
export function utimensat(
  dirfd: number,
  name: string | null,
  atime: number,
  mtime: number,
  flags: number,
): void {
  const ts = new BigInt64Array(4);
  ts[0] = BigInt(Math.floor(atime));
  ts[1] = BigInt(Math.round((atime % 1) * 1e9));
  ts[2] = BigInt(Math.floor(mtime));
  ts[3] = BigInt(Math.round((mtime % 1) * 1e9));
  // glibc's utimensat refuses a NULL path: futimens is that call
  if (name === null) check("futimens", libc().futimens(dirfd, ts), String(dirfd));
  else check("utimensat", libc().utimensat(dirfd, cstr(name), ts, flags), name);
}

/** unlinkat(2) (AT_REMOVEDIR for an empty directory). @throws {SyscallError} */
export function unlinkat(dirfd: number, name: string, flags: number): void {
  check("unlinkat", libc().unlinkat(dirfd, cstr(name), flags), name);
}

/** fsetxattr(2). @throws {SyscallError} */
export function fsetxattr(fd: number, name: string, value: Uint8Array): void {
  const v = new Uint8Array(value); // own buffer so FFI gets an ArrayBuffer-backed view
  check("fsetxattr", libc().fsetxattr(fd, cstr(name), v, BigInt(v.length), 0), name);
}

/**
 * statx(2) of `name` in `dirfd` (AT_SYMLINK_NOFOLLOW in `flags` for lstat):
 * its `st_mode` (type and permission bits). @throws {SyscallError}
 */
export function statxMode(dirfd: number, name: string, flags: number): number {
  const mode = modeOrMissing(dirfd, name, flags);
  if (mode === undefined) throw syscallError("statx", ENOENT, name);
  return mode;
}

/** statx(2)'s `st_mode` of `name` in `dirfd`; undefined on ENOENT. @throws {SyscallError} else */
function modeOrMissing(dirfd: number, name: string, flags: number): number | undefined {
  // struct statx is 256 bytes; stx_mode is the u16 at offset 28 on every architecture
  const buf = new Uint8Array(256);
  if (libc().statx(dirfd, cstr(name), flags, STATX_MODE, buf) === 0) {
    return buf[28] | (buf[29] << 8);
  }
  const e = errno();
  if (e === ENOENT) return undefined;
  throw syscallError("statx", e, name);
}

/** What lstat says a path is, in the kinds path checks need. */
export type FileKind = "dir" | "file" | "symlink" | "other";

/** The kind of what `path` names (statx with `flags`); undefined on ENOENT. */
function kindOf(path: string, flags: number): FileKind | undefined {
  const mode = modeOrMissing(AT_FDCWD, path, flags);
  if (mode === undefined) return undefined;
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return "dir";
  if (type === S_IFREG) return "file";
  return type === S_IFLNK ? "symlink" : "other";
}

/**
 * lstat of `path`, reduced to its kind; undefined when it does not exist
 * (ENOENT). One statx(2): Deno.lstatSync builds a whole FileInfo (~40 µs
 * here, and ~20 µs more to throw NotFound), and the init's mount engine
 * and steps walk ~150 path components per start.
 * @throws {SyscallError} any other failure (ENOTDIR, EACCES, …).
 */
export function lstatKind(path: string): FileKind | undefined {
  return kindOf(path, AT_SYMLINK_NOFOLLOW);
}

/**
 * stat of `path` (a final symlink followed), reduced to its kind;
 * undefined when it (or a symlink's target) does not exist. One statx(2),
 * for existence checks that usually fail (no NotFound thrown and caught).
 * @throws {SyscallError} any other failure (ENOTDIR, EACCES, …).
 */
export function statKind(path: string): FileKind | undefined {
  return kindOf(path, 0);
}

/**
 * Whether `fd` (an O_PATH fd will do) is the root of a mount: statx's
 * STATX_ATTR_MOUNT_ROOT, which every kernel from 5.8 reports (a kernel
 * that does not report it gives false).
 * @throws {SyscallError}
 */
export function isMountRoot(fd: number): boolean {
  // struct statx: stx_attributes is the u64 at offset 8, stx_attributes_mask the u64 at 56
  const buf = new Uint8Array(256);
  check("statx", libc().statx(fd, cstr(""), AT_EMPTY_PATH, STATX_MODE, buf));
  const dv = new DataView(buf.buffer);
  const mask = dv.getBigUint64(56, true);
  const attrs = dv.getBigUint64(8, true);
  const bit = BigInt(STATX_ATTR_MOUNT_ROOT);
  return (mask & bit) !== 0n && (attrs & bit) !== 0n;
}

/** write(2) all of `data` to `fd` (retrying short writes and EINTR). @throws {SyscallError} */
export function writeFd(fd: number, data: Uint8Array): void {
  const buf = data as Buf;
  let off = 0;
  while (off < buf.length) {
    const rest = off ? buf.subarray(off) : buf;
    const n = Number(libc().write(fd, rest, BigInt(rest.length)));
    if (n === -1) {
      const e = errno();
      if (e === EINTR) continue;
      throw syscallError("write", e, String(fd));
    }
    off += n;
  }
}
