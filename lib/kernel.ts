/**
 * The `Kernel` interface: the system calls that mount/namespace/filesystem
 * setup logic needs. The real implementation is `ffi/kernel.ts`
 * (`LinuxKernel`); tests use a recording fake (`tests/fake_kernel.ts`) that
 * can fail a chosen call. Every method throws `SyscallError` on failure.
 * @module
 */

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
}
