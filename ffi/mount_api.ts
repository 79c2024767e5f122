/**
 * The new mount API calls tsbox needs for idmapped mounts (Linux ≥ 5.12):
 * open_tree(2) to clone a directory as a detached mount, mount_setattr(2)
 * with MOUNT_ATTR_IDMAP to map its owners through a user namespace, and
 * move_mount(2) to attach it. libc has no wrappers; raw syscalls here.
 * @module
 */

import { cstr } from "./cstring.ts";
import { rawSyscall } from "./raw_syscall.ts";
import { AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, O_CLOEXEC } from "./consts.ts";
import { SyscallError } from "../lib/errors.ts";

// same numbers on x86_64 and aarch64 (the unified table from 5.x on)
const SYS_open_tree = 428;
const SYS_move_mount = 429;
const SYS_mount_setattr = 442;

const OPEN_TREE_CLONE = 1;
const AT_RECURSIVE = 0x8000;
const AT_EMPTY_PATH = 0x1000;
const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
/** Follow a symlink at the target: tsbox's targets are pinned /proc/self/fd/N magic links. */
const MOVE_MOUNT_T_SYMLINKS = 0x10;
/** mount_attr.attr_set bit: map the mount's ids through `userns_fd`. */
export const MOUNT_ATTR_IDMAP = 0x00100000;

function ptr(b: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as Uint8Array<ArrayBuffer>)));
}

/**
 * open_tree(path, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC): a detached
 * copy of the mount tree at `path`. Needs CAP_SYS_ADMIN.
 * @throws {SyscallError}
 */
export function openTreeClone(path: string): number {
  const p = cstr(path);
  const fd = rawSyscall(
    "open_tree",
    SYS_open_tree,
    [BigInt(AT_FDCWD), ptr(p), BigInt(OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC)],
    path,
  );
  void p;
  return fd;
}

/**
 * open_tree(fd, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC): a
 * detached copy of the one mount whose root `fd` is (no submounts). The
 * mount must be in the caller's mount namespace. Needs CAP_SYS_ADMIN.
 * @throws {SyscallError} EINVAL when the mount is in another namespace.
 */
export function openTreeCloneFd(fd: number): number {
  const empty = cstr("");
  const tree = rawSyscall("open_tree", SYS_open_tree, [
    BigInt(fd),
    ptr(empty),
    BigInt(OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC),
  ]);
  void empty;
  return tree;
}

/**
 * mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, {MOUNT_ATTR_IDMAP, userns_fd}):
 * make the detached mount `fd` show its files' owners through the id maps
 * of the user namespace `usernsFd`. Needs CAP_SYS_ADMIN over the mount's
 * filesystem and a filesystem that supports idmapping.
 * @throws {SyscallError} EINVAL/ENOSYS/EPERM where the kernel or filesystem can't.
 */
export function mountSetattrIdmap(fd: number, usernsFd: number): void {
  const attr = new Uint8Array(32); // struct mount_attr (MOUNT_ATTR_SIZE_VER0)
  const dv = new DataView(attr.buffer);
  dv.setBigUint64(0, BigInt(MOUNT_ATTR_IDMAP), true); // attr_set
  dv.setBigUint64(24, BigInt(usernsFd), true); // userns_fd
  const empty = cstr("");
  rawSyscall("mount_setattr", SYS_mount_setattr, [
    BigInt(fd),
    ptr(empty),
    BigInt(AT_EMPTY_PATH | AT_RECURSIVE),
    ptr(attr),
    32n,
  ]);
  void empty, attr;
}

// mount_attr bits of the per-mount flags a bind remount sets
const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;
const MOUNT_ATTR_NOEXEC = 0x8;
/** MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC and their mount_attr bits. */
const ATTR_OF_MS: [number, number][] = [
  [MS_RDONLY, MOUNT_ATTR_RDONLY],
  [MS_NOSUID, MOUNT_ATTR_NOSUID],
  [MS_NODEV, MOUNT_ATTR_NODEV],
  [MS_NOEXEC, MOUNT_ATTR_NOEXEC],
];
const SETTABLE = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/**
 * mount_setattr(fd, "", AT_EMPTY_PATH, …) on the one mount `fd` (an O_PATH
 * fd of its root): what `mount(NULL, it, NULL, MS_REMOUNT | MS_BIND |
 * flags | kept)` does once the kept flags are read from mountinfo, in one
 * call — read-only exactly when `flags` has MS_RDONLY; nosuid, nodev and
 * noexec added where `flags` has them, the mount's own (locked ones among
 * them) and its atime mode kept. Linux 5.12.
 * @param flags MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC only.
 * @returns false where the kernel has no mount_setattr (ENOSYS) or `flags`
 *   has another bit: the caller remounts.
 * @throws {SyscallError} another failure.
 */
export function mountSetBindFlags(fd: number, flags: number): boolean {
  if (flags & ~SETTABLE) return false;
  const set = ATTR_OF_MS.reduce((a, [ms, attr]) => flags & ms ? a | attr : a, 0);
  const attr = new Uint8Array(32); // struct mount_attr (MOUNT_ATTR_SIZE_VER0)
  const dv = new DataView(attr.buffer);
  dv.setBigUint64(0, BigInt(set), true); // attr_set
  dv.setBigUint64(8, BigInt(flags & MS_RDONLY ? 0 : MOUNT_ATTR_RDONLY), true); // attr_clr
  const empty = cstr("");
  try {
    rawSyscall("mount_setattr", SYS_mount_setattr, [
      BigInt(fd),
      ptr(empty),
      BigInt(AT_EMPTY_PATH),
      ptr(attr),
      32n,
    ]);
  } catch (err) {
    if (err instanceof SyscallError && err.errnoName === "ENOSYS") return false;
    throw err;
  }
  void empty, attr;
  return true;
}

/**
 * move_mount(fd, "", AT_FDCWD, target, F_EMPTY_PATH | T_SYMLINKS): attach the
 * detached mount `fd` at `target` in the caller's mount namespace.
 * Needs CAP_SYS_ADMIN in the user namespace owning that mount namespace.
 * @throws {SyscallError}
 */
export function moveMount(fd: number, target: string): void {
  const empty = cstr("");
  const t = cstr(target);
  rawSyscall("move_mount", SYS_move_mount, [
    BigInt(fd),
    ptr(empty),
    BigInt(AT_FDCWD),
    ptr(t),
    BigInt(MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS),
  ], target);
  void empty, t;
}
