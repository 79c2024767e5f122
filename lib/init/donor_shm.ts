/**
 * `--ipc container:NAME` shares the donor's /dev/shm, as docker does (it
 * binds the donor's shm mount into the joiner). tsbox's /dev/shm mounts
 * live only in each container's own mount namespace, and the kernel
 * clones a mount only from the caller's namespace (a bind through
 * /proc/<pid>/root is EINVAL). So the init, still in the host's mount
 * namespace and before it makes its own, enters the donor's for a moment:
 *
 *   unshare(CLONE_FS) → setns(donor's mnt) → openat2("dev/shm",
 *   RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) from the donor's root → it must
 *   be a mount's root → open_tree(OPEN_TREE_CLONE) of that one mount →
 *   setns(back) and the old cwd again.
 *
 * No symlink of the donor's is followed and nothing outside its root can be
 * reached; /proc is not used in between (the donor's /proc is of its own
 * PID namespace). The clone is the donor's very tmpfs (same files, same
 * size, same nosuid/nodev/noexec); the init attaches it at its own
 * /dev/shm with move_mount. The donor's namespace is the one the runner
 * opened while the donor's PID 1 was verified (namespace_join.ts).
 *
 * Sync, on the init's main thread.
 * @module
 */

import type { Kernel } from "../kernel.ts";
import { SyscallError, TsboxError } from "../errors.ts";
import { errnoText } from "../../ffi/errno.ts";
import { AT_FDCWD, CLONE_FS, CLONE_NEWNS, O_RDONLY } from "../../ffi/consts.ts";
import { O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS } from "../../ffi/openat.ts";

/**
 * /dev/shm below the donor's root `root`, as an O_PATH fd.
 * @throws {TsboxError} a symlink on the way (ELOOP), none there (ENOENT),
 *   not a directory (ENOTDIR).
 */
function openShm(kernel: Kernel, root: number): number {
  try {
    return kernel.openat2(
      root,
      "dev/shm",
      O_PATH | O_DIRECTORY,
      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
    );
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    throw new TsboxError(
      `the IPC donor's /dev/shm cannot be shared: ${errnoText(err.errnoName)} (${err.errnoName})`,
      { cause: err },
    );
  }
}

/**
 * A detached copy of the /dev/shm mount of the mount namespace at
 * `mntns` (a namespace file, e.g. `/proc/<runner>/fd/N`); returns its fd.
 * Leaves the caller's mount namespace and cwd as they were. Requires
 * root (CAP_SYS_ADMIN, CAP_SYS_CHROOT) and /proc at /proc.
 * @throws {TsboxError} the donor's /dev/shm is not a mount (a symlink, a
 *   plain directory, missing), or a SyscallError of the way there.
 */
export function cloneDonorShm(kernel: Kernel, mntns: string): number {
  const fds: number[] = [];
  const open = (path: string, flags: number) => {
    const fd = kernel.openat(AT_FDCWD, path, flags, 0);
    fds.push(fd);
    return fd;
  };
  try {
    const donor = open(mntns, O_RDONLY);
    const home = open("/proc/thread-self/ns/mnt", O_RDONLY);
    const cwd = open(".", O_PATH | O_DIRECTORY);
    kernel.unshare(CLONE_FS); // setns(mnt) refuses a shared fs struct
    kernel.setns(donor, CLONE_NEWNS); // root and cwd: the donor's root
    try {
      const root = open("/", O_PATH | O_DIRECTORY);
      const shm = openShm(kernel, root);
      fds.push(shm);
      if (!kernel.isMountRoot(shm)) {
        throw new TsboxError("the IPC donor's /dev/shm is not a mount: nothing to share");
      }
      return kernel.cloneMount(shm);
    } finally {
      kernel.setns(home, CLONE_NEWNS);
      kernel.chdir(`/proc/self/fd/${cwd}`);
    }
  } finally {
    for (const fd of fds) kernel.close(fd);
  }
}
