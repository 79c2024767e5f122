/**
 * The `Kernel` interface: the system calls that mount/namespace/filesystem
 * setup logic needs. The real implementation is `ffi/kernel.ts`
 * (`LinuxKernel`); tests use a recording fake (`tests/fake_kernel.ts`) that
 * can fail a chosen call. Every method throws `SyscallError` on failure.
 * @module
 */

import type { CapSets } from "../ffi/caps.ts";
import type { SpawnOptions } from "../ffi/spawn.ts";
import type { SeccompProgram } from "../ffi/seccomp_program.ts";

export type { CapSets, SeccompProgram, SpawnOptions };

/** System calls used by container setup, behind an interface. */
export interface Kernel {
  /** mount(2). `flags` uses the MS_* constants of `ffi/consts.ts`. */
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data?: string | null,
  ): void;
  /** umount2(2). */
  umount2(target: string, flags?: number): void;
  /** pivot_root(2). */
  pivotRoot(newRoot: string, putOld: string): void;
  /** unshare(2) on the calling (main JS) thread. */
  unshare(flags: number): void;
  /** setns(2) on the calling thread; `fd` is a namespace fd. */
  setns(fd: number, nstype: number): void;
  /** sethostname(2). */
  sethostname(name: string): void;
  /** mknod(2); `mode` includes the file type (S_IFCHR…). */
  mknod(path: string, mode: number, dev: bigint): void;
  /** chdir(2) of the process (affects relative paths of later calls). */
  chdir(path: string): void;
  /** chroot(2). */
  chroot(path: string): void;
  /** lchown(2): change owner without following a final symlink. */
  lchown(path: string, uid: number, gid: number): void;
  /** lsetxattr(2). */
  lsetxattr(path: string, name: string, value: Uint8Array): void;
  /** utimensat(2) with AT_SYMLINK_NOFOLLOW; times in seconds (may be fractional). */
  lutimes(path: string, atime: number, mtime: number): void;
  /** openat(2) relative to `dirfd` (O_CLOEXEC added); returns the new fd. */
  openat(dirfd: number, name: string, flags: number, mode: number): number;
  /** mkdirat(2) (the mode is masked by the umask). */
  mkdirat(dirfd: number, name: string, mode: number): void;
  /** symlinkat(2): `name` in `dirfd` pointing at `target`. */
  symlinkat(target: string, dirfd: number, name: string): void;
  /** linkat(2), linking a symlink `oldname` itself (no AT_SYMLINK_FOLLOW). */
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void;
  /** mknodat(2); `mode` includes the file type (S_IFCHR…). */
  mknodat(dirfd: number, name: string, mode: number, dev: bigint): void;
  /** fchownat(2); `name` "" with AT_EMPTY_PATH changes the fd itself. */
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void;
  /** fchmod(2). */
  fchmod(fd: number, mode: number): void;
  /** fchmodat(2) without flags (follows a final symlink: only for what the caller just made). */
  fchmodat(dirfd: number, name: string, mode: number): void;
  /** utimensat(2), times in seconds (may be fractional); `name` null: `dirfd` itself. */
  utimensat(dirfd: number, name: string | null, atime: number, mtime: number, flags: number): void;
  /** unlinkat(2) (AT_REMOVEDIR for an empty directory). */
  unlinkat(dirfd: number, name: string, flags: number): void;
  /** fsetxattr(2). */
  fsetxattr(fd: number, name: string, value: Uint8Array): void;
  /** statx(2): `st_mode` of `name` in `dirfd` (AT_SYMLINK_NOFOLLOW in `flags` for lstat). */
  statxMode(dirfd: number, name: string, flags: number): number;
  /** write(2) all of `data` to `fd`. */
  writeFd(fd: number, data: Uint8Array): void;
  /** close(2). */
  close(fd: number): void;
  /** prctl(PR_SET_DUMPABLE). */
  setDumpable(on: boolean): void;
  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  setNoNewPrivs(): void;
  /** prctl(PR_SET_KEEPCAPS). */
  setKeepCaps(on: boolean): void;
  /** prctl(PR_CAPBSET_DROP, cap) of the calling thread. */
  capBoundingDrop(cap: number): void;
  /** capset(2) of the calling thread. */
  capSet(sets: CapSets): void;
  /** prctl(PR_CAP_AMBIENT_RAISE, cap). */
  capAmbientRaise(cap: number): void;
  /** setgroups, setgid, setuid (all threads, through glibc). */
  setCredentials(uid: number, gid: number, groups: number[]): void;
  /** setrlimit(2); -1 = unlimited. */
  setRlimit(resource: number, soft: number, hard: number): void;
  /** getrlimit(2); `Infinity` = unlimited. */
  getRlimit(resource: number): { soft: number; hard: number };
  /**
   * setrlimit(2) of each of `limits`, prepared now: the returned function
   * makes only the calls (nothing allocated, for after a lowered RLIMIT_AS).
   */
  prepareRlimits(limits: readonly { resource: number; soft: number; hard: number }[]): () => void;
  /** prctl(PR_SET_PDEATHSIG). */
  setParentDeathSignal(sig: number): void;
  /** keyctl(KEYCTL_JOIN_SESSION_KEYRING, name). */
  joinSessionKeyring(name: string): void;
  /** Mark every fd >= `from` close-on-exec. */
  cloexecFrom(from: number): void;
  /** Write `data` to an existing file (procfs/sysfs knobs: oom_score_adj, sysctls). */
  writeFile(path: string, data: string): void;
  /** seccomp(SECCOMP_SET_MODE_FILTER) of a compiled program on the calling thread. */
  seccompInstall(p: SeccompProgram): void;
  /**
   * execve(2), prepared now: the returned function is the one call (nothing
   * allocated, for after a lowered RLIMIT_AS); it only returns by throwing.
   */
  prepareExecve(path: string, argv: string[], env: string[]): () => never;
  /**
   * A detached copy of the tree at `path` whose owners show through the id
   * maps of the user namespace `usernsFd` (open_tree + mount_setattr
   * MOUNT_ATTR_IDMAP); returns the mount's fd. Needs CAP_SYS_ADMIN.
   */
  idmappedTree(path: string, usernsFd: number): number;
  /** move_mount(2) of the detached mount `fd` onto `target`. */
  moveMount(fd: number, target: string): void;
  /**
   * Give the mount `fd` is the root of (an O_PATH fd) the per-mount flags
   * a bind remount with `flags` (MS_RDONLY/NOSUID/NODEV/NOEXEC) and the
   * flags it must keep would, in one mount_setattr(2); false where the
   * kernel has no mount_setattr (the caller then remounts).
   */
  setBindFlags(fd: number, flags: number): boolean;
  /** openat2(2) with `resolve` (RESOLVE_* of `ffi/openat.ts`; O_CLOEXEC added); returns the fd. */
  openat2(dirfd: number, path: string, flags: number, resolve: number): number;
  /** statx(2) STATX_ATTR_MOUNT_ROOT: whether `fd` is the root of a mount. */
  isMountRoot(fd: number): boolean;
  /**
   * open_tree(2) OPEN_TREE_CLONE of `fd` (AT_EMPTY_PATH): a detached copy of
   * the one mount whose root `fd` is, in the caller's mount namespace.
   * Returns the mount's fd. Needs CAP_SYS_ADMIN.
   */
  cloneMount(fd: number): number;
  /** posix_spawn(3) from the calling thread; returns the child's pid. */
  spawn(path: string, argv: string[], env: string[], opts: SpawnOptions): number;
}
