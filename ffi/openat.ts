/**
 * O_PATH file descriptors and race-free path operations for mount targets:
 * `open(O_PATH)`, `openat2(2)` with RESOLVE_* restrictions (Linux ≥ 5.6)
 * and `renameat2(RENAME_NOREPLACE)`. Used by volumes/ to pin a mount target
 * and mount onto `/proc/self/fd/N` (as runc does against swap races).
 * Requires `--allow-ffi`; no privileges of its own.
 * @module
 */

import { libc } from "./libc.ts";
import { cstr } from "./cstring.ts";
import { check, checkBig } from "./syscall.ts";
import { AT_FDCWD, O_CLOEXEC } from "./consts.ts";

/** open(2): a handle on the path itself, not opened for I/O. */
export const O_PATH = 0o10000000;
/** open(2): fail unless a directory. */
export const O_DIRECTORY = 0o200000;
/** open(2): do not follow a final symlink. */
export const O_NOFOLLOW = 0o400000;

/** openat2(2): no mount point crossing. */
export const RESOLVE_NO_XDEV = 0x01;
/** openat2(2): no /proc magic links. */
export const RESOLVE_NO_MAGICLINKS = 0x02;
/** openat2(2): no symlinks at all (ELOOP). */
export const RESOLVE_NO_SYMLINKS = 0x04;
/** openat2(2): never leave the dirfd's tree (EXDEV). */
export const RESOLVE_BENEATH = 0x08;
/** openat2(2): treat the dirfd as `/` (chroot-like). */
export const RESOLVE_IN_ROOT = 0x10;

/** openat2's syscall number (the same on x86_64 and aarch64). */
const SYS_openat2 = 437;
/** renameat2 flag: fail with EEXIST instead of replacing. */
const RENAME_NOREPLACE = 1;

/**
 * open(2) `path` with `flags` (O_CLOEXEC is always added). Returns the fd.
 * @throws {SyscallError}
 */
export function openPath(path: string, flags: number): number {
  return check("open", libc().open(cstr(path), flags | O_CLOEXEC, 0), path);
}

/** open(path, O_WRONLY|O_CLOEXEC): blocks on a fifo until a reader opens it. */
export function openWriteOnly(path: string): number {
  return check("open", libc().open(cstr(path), 1 | O_CLOEXEC, 0), path);
}

/** open(path, O_RDONLY|O_CLOEXEC): blocks on a fifo until a writer opens it. */
export function openReadOnly(path: string): number {
  return check("open", libc().open(cstr(path), O_CLOEXEC, 0), path);
}

/**
 * openat2(2): open `path` relative to `dirfd` with `flags` (O_CLOEXEC added)
 * under the `resolve` restrictions. Returns the fd.
 * @throws {SyscallError} ENOSYS on kernels before 5.6; EXDEV/ELOOP when
 *   resolution would leave `dirfd` or meet a refused symlink.
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number): number {
  // struct open_how { __u64 flags; __u64 mode; __u64 resolve; }
  const how = new BigUint64Array([BigInt(flags | O_CLOEXEC), 0n, BigInt(resolve)]);
  const ret = libc().syscall_openat2(
    BigInt(SYS_openat2),
    BigInt(dirfd),
    cstr(path),
    how,
    BigInt(how.byteLength),
  );
  return checkBig("openat2", ret, path);
}

/**
 * rename(2) that never replaces: fails with EEXIST when `to` exists
 * (a symlink at `to` is not followed).
 * @throws {SyscallError}
 */
export function renameNoReplace(from: string, to: string): void {
  check(
    "renameat2",
    libc().renameat2(AT_FDCWD, cstr(from), AT_FDCWD, cstr(to), RENAME_NOREPLACE),
    to,
  );
}
