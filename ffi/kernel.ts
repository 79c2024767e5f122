/**
 * `LinuxKernel`: the real `Kernel`, calling libc through `Deno.dlopen`.
 * Requires root (CAP_SYS_ADMIN) for most calls and `--allow-ffi`.
 * @module
 */

import type { Kernel } from "../lib/kernel.ts";
import { libc } from "./libc.ts";
import { cstr, cstrOrNull } from "./cstring.ts";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, SYS_pivot_root } from "./consts.ts";
import { check, checkBig } from "./syscall.ts";
import {
  capAmbientRaise,
  capBoundingDrop,
  capSet,
  type CapSets,
  getRlimit,
  joinSessionKeyring,
  prepareRlimits,
  setDumpable,
  setKeepCaps,
  setNoNewPrivs,
  setRlimit,
} from "./caps.ts";
import { prepareExecve, setCredentials, setParentDeathSignal } from "./process.ts";
import { cloexecFrom, closeFd } from "./fds.ts";
import {
  mountSetattrIdmap,
  mountSetBindFlags,
  moveMount,
  openTreeClone,
  openTreeCloneFd,
} from "./mount_api.ts";
import * as at from "./at.ts";
import { openat2 } from "./openat.ts";
import { posixSpawn, type SpawnOptions } from "./spawn.ts";
import { installSeccompProgram, type SeccompProgram } from "./seccomp_program.ts";

/** The real kernel. Stateless; create one and pass it in. */
export class LinuxKernel implements Kernel {
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data?: string | null,
  ): void {
    check(
      "mount",
      libc().mount(
        cstrOrNull(source),
        cstr(target),
        cstrOrNull(fstype),
        BigInt(flags),
        cstrOrNull(data ?? null),
      ),
      target,
    );
  }
  umount2(target: string, flags = 0): void {
    check("umount2", libc().umount2(cstr(target), flags), target);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    checkBig(
      "pivot_root",
      libc().syscall(BigInt(SYS_pivot_root), cstr(newRoot), cstr(putOld)),
      newRoot,
    );
  }
  unshare(flags: number): void {
    check("unshare", libc().unshare(flags));
  }
  setns(fd: number, nstype: number): void {
    check("setns", libc().setns(fd, nstype));
  }
  sethostname(name: string): void {
    const b = new TextEncoder().encode(name);
    check("sethostname", libc().sethostname(b, BigInt(b.length)), name);
  }
  mknod(path: string, mode: number, dev: bigint): void {
    check("mknod", libc().mknod(cstr(path), mode, dev), path);
  }
  chdir(path: string): void {
    check("chdir", libc().chdir(cstr(path)), path);
  }
  chroot(path: string): void {
    check("chroot", libc().chroot(cstr(path)), path);
  }
  lchown(path: string, uid: number, gid: number): void {
    check("lchown", libc().lchown(cstr(path), uid, gid), path);
  }
  lsetxattr(path: string, name: string, value: Uint8Array): void {
    const v = new Uint8Array(value); // own buffer so FFI gets an ArrayBuffer-backed view
    check("lsetxattr", libc().lsetxattr(cstr(path), cstr(name), v, BigInt(v.length), 0), path);
  }
  lutimes(path: string, atime: number, mtime: number): void {
    const ts = new BigInt64Array(4);
    ts[0] = BigInt(Math.floor(atime));
    ts[1] = BigInt(Math.round((atime % 1) * 1e9));
    ts[2] = BigInt(Math.floor(mtime));
    ts[3] = BigInt(Math.round((mtime % 1) * 1e9));
    check("utimensat", libc().utimensat(AT_FDCWD, cstr(path), ts, AT_SYMLINK_NOFOLLOW), path);
  }
  openat(dirfd: number, name: string, flags: number, mode: number): number {
    return at.openat(dirfd, name, flags, mode);
  }
  mkdirat(dirfd: number, name: string, mode: number): void {
    at.mkdirat(dirfd, name, mode);
  }
  symlinkat(target: string, dirfd: number, name: string): void {
    at.symlinkat(target, dirfd, name);
  }
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
    at.linkat(olddirfd, oldname, newdirfd, newname);
  }
  mknodat(dirfd: number, name: string, mode: number, dev: bigint): void {
    at.mknodat(dirfd, name, mode, dev);
  }
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void {
    at.fchownat(dirfd, name, uid, gid, flags);
  }
  fchmod(fd: number, mode: number): void {
    at.fchmod(fd, mode);
  }
  fchmodat(dirfd: number, name: string, mode: number): void {
    at.fchmodat(dirfd, name, mode);
  }
  utimensat(dirfd: number, name: string | null, atime: number, mtime: number, flags: number): void {
    at.utimensat(dirfd, name, atime, mtime, flags);
  }
  unlinkat(dirfd: number, name: string, flags: number): void {
    at.unlinkat(dirfd, name, flags);
  }
  fsetxattr(fd: number, name: string, value: Uint8Array): void {
    at.fsetxattr(fd, name, value);
  }
  statxMode(dirfd: number, name: string, flags: number): number {
    return at.statxMode(dirfd, name, flags);
  }
  writeFd(fd: number, data: Uint8Array): void {
    at.writeFd(fd, data);
  }
  close(fd: number): void {
    closeFd(fd);
  }
  setDumpable(on: boolean): void {
    setDumpable(on);
  }
  setNoNewPrivs(): void {
    setNoNewPrivs();
  }
  setKeepCaps(on: boolean): void {
    setKeepCaps(on);
  }
  capBoundingDrop(cap: number): void {
    capBoundingDrop(cap);
  }
  capSet(sets: CapSets): void {
    capSet(sets);
  }
  capAmbientRaise(cap: number): void {
    capAmbientRaise(cap);
  }
  setCredentials(uid: number, gid: number, groups: number[]): void {
    setCredentials(uid, gid, groups);
  }
  setRlimit(resource: number, soft: number, hard: number): void {
    setRlimit(resource, soft, hard);
  }
  getRlimit(resource: number): { soft: number; hard: number } {
    return getRlimit(resource);
  }
  prepareRlimits(limits: readonly { resource: number; soft: number; hard: number }[]): () => void {
    return prepareRlimits(limits);
  }
  setParentDeathSignal(sig: number): void {
    setParentDeathSignal(sig);
  }
  joinSessionKeyring(name: string): void {
    joinSessionKeyring(name);
  }
  cloexecFrom(from: number): void {
    cloexecFrom(from);
  }
  writeFile(path: string, data: string): void {
    Deno.writeTextFileSync(path, data, { create: false });
  }
  seccompInstall(p: SeccompProgram): void {
    installSeccompProgram(p);
  }
  prepareExecve(path: string, argv: string[], env: string[]): () => never {
    return prepareExecve(path, argv, env);
  }
  idmappedTree(path: string, usernsFd: number): number {
    const fd = openTreeClone(path);
    try {
      mountSetattrIdmap(fd, usernsFd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    return fd;
  }
  moveMount(fd: number, target: string): void {
    moveMount(fd, target);
  }
  setBindFlags(fd: number, flags: number): boolean {
    return mountSetBindFlags(fd, flags);
  }
  openat2(dirfd: number, path: string, flags: number, resolve: number): number {
    return openat2(dirfd, path, flags, resolve);
  }
  isMountRoot(fd: number): boolean {
    return at.isMountRoot(fd);
  }
  cloneMount(fd: number): number {
    return openTreeCloneFd(fd);
  }
  spawn(path: string, argv: string[], env: string[], opts: SpawnOptions): number {
    return posixSpawn(path, argv, env, opts);
  }
}
