/**
 * A recording fake of the whole `Kernel` interface (youki-style): every
 * call is recorded in order, nothing touches the system, and a chosen call
 * can be made to fail with a `SyscallError` — so mount plans, undo paths
 * and cleanup order are tested without root.
 *
 * ```ts
 * const k = new FakeKernel().failOn("mount", "EPERM", (c) => c.args[1] === "/x");
 * ```
 * @module
 */

import type { CapSets, Kernel, SeccompProgram, SpawnOptions } from "../lib/kernel.ts";
import { SyscallError } from "../lib/errors.ts";
import { errnoText, errnoValue } from "../ffi/errno.ts";

/** Names of the Kernel methods. */
export type KernelMethod = keyof Kernel;

/** One recorded call. */
export interface KernelCall {
  method: KernelMethod;
  args: unknown[];
}

interface Failure {
  method: KernelMethod;
  errnoName: string;
  match?: (call: KernelCall) => boolean;
  /** How many more matching calls fail (Infinity = all). */
  remaining: number;
}

/** The fake. Calls are recorded even when they fail (and then also listed in `failed`). */
export class FakeKernel implements Kernel {
  /** Every call, in order. */
  readonly calls: KernelCall[] = [];
  /** Calls that were made to fail. */
  readonly failed: KernelCall[] = [];
  #failures: Failure[] = [];

  /**
   * Make matching calls of `method` throw `SyscallError(errnoName)`.
   * @param match optional predicate on the call; default: every call.
   * @param times how many matching calls fail (default: all of them).
   */
  failOn(
    method: KernelMethod,
    errnoName = "EPERM",
    match?: (call: KernelCall) => boolean,
    times = Infinity,
  ): this {
    this.#failures.push({ method, errnoName, match, remaining: times });
    return this;
  }

  /** Fail the `n`-th (1-based) call of `method` only. */
  failNth(method: KernelMethod, n: number, errnoName = "EPERM"): this {
    let seen = 0;
    return this.failOn(method, errnoName, () => ++seen === n, 1);
  }

  /** Calls of one method, as argument lists. */
  callsOf(method: KernelMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  #record(method: KernelMethod, args: unknown[]): void {
    const call = { method, args };
    this.calls.push(call);
    for (const f of this.#failures) {
      if (f.method !== method || f.remaining <= 0 || (f.match && !f.match(call))) continue;
      f.remaining--;
      this.failed.push(call);
      const path = typeof args[0] === "string" && method !== "mount"
        ? args[0]
        : (args[1] as string | undefined);
      throw new SyscallError(
        method,
        errnoValue(f.errnoName),
        f.errnoName,
        errnoText(f.errnoName),
        path,
      );
    }
  }

  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data?: string | null,
  ): void {
    this.#record("mount", [source, target, fstype, flags, data ?? null]);
  }
  umount2(target: string, flags = 0): void {
    this.#record("umount2", [target, flags]);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.#record("pivotRoot", [newRoot, putOld]);
  }
  unshare(flags: number): void {
    this.#record("unshare", [flags]);
  }
  setns(fd: number, nstype: number): void {
    this.#record("setns", [fd, nstype]);
  }
  sethostname(name: string): void {
    this.#record("sethostname", [name]);
  }
  mknod(path: string, mode: number, dev: bigint): void {
    this.#record("mknod", [path, mode, dev]);
  }
  chdir(path: string): void {
    this.#record("chdir", [path]);
  }
  chroot(path: string): void {
    this.#record("chroot", [path]);
  }
  lchown(path: string, uid: number, gid: number): void {
    this.#record("lchown", [path, uid, gid]);
  }
  lsetxattr(path: string, name: string, value: Uint8Array): void {
    this.#record("lsetxattr", [path, name, value]);
  }
  lutimes(path: string, atime: number, mtime: number): void {
    this.#record("lutimes", [path, atime, mtime]);
  }
  /** Records the call and returns a new fake fd (from `nextFd`). */
  openat(dirfd: number, name: string, flags: number, mode: number): number {
    this.#record("openat", [dirfd, name, flags, mode]);
    return this.nextFd++;
  }
  mkdirat(dirfd: number, name: string, mode: number): void {
    this.#record("mkdirat", [dirfd, name, mode]);
  }
  symlinkat(target: string, dirfd: number, name: string): void {
    this.#record("symlinkat", [target, dirfd, name]);
  }
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
    this.#record("linkat", [olddirfd, oldname, newdirfd, newname]);
  }
  mknodat(dirfd: number, name: string, mode: number, dev: bigint): void {
    this.#record("mknodat", [dirfd, name, mode, dev]);
  }
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void {
    this.#record("fchownat", [dirfd, name, uid, gid, flags]);
  }
  fchmod(fd: number, mode: number): void {
    this.#record("fchmod", [fd, mode]);
  }
  fchmodat(dirfd: number, name: string, mode: number): void {
    this.#record("fchmodat", [dirfd, name, mode]);
  }
  utimensat(dirfd: number, name: string | null, atime: number, mtime: number, flags: number): void {
    this.#record("utimensat", [dirfd, name, atime, mtime, flags]);
  }
  unlinkat(dirfd: number, name: string, flags: number): void {
    this.#record("unlinkat", [dirfd, name, flags]);
  }
  fsetxattr(fd: number, name: string, value: Uint8Array): void {
    this.#record("fsetxattr", [fd, name, value]);
  }
  /** Records the call; every name is a directory (0755). */
  statxMode(dirfd: number, name: string, flags: number): number {
    this.#record("statxMode", [dirfd, name, flags]);
    return 0o040755;
  }
  writeFd(fd: number, data: Uint8Array): void {
    this.#record("writeFd", [fd, data.length]);
  }
  close(fd: number): void {
    this.#record("close", [fd]);
  }
  /** Next fd `openat` returns. */
  nextFd = 100;
  setDumpable(on: boolean): void {
    this.#record("setDumpable", [on]);
  }
  setNoNewPrivs(): void {
    this.#record("setNoNewPrivs", []);
  }
  setKeepCaps(on: boolean): void {
    this.#record("setKeepCaps", [on]);
  }
  capBoundingDrop(cap: number): void {
    this.#record("capBoundingDrop", [cap]);
  }
  capSet(sets: CapSets): void {
    this.#record("capSet", [sets]);
  }
  capAmbientRaise(cap: number): void {
    this.#record("capAmbientRaise", [cap]);
  }
  setCredentials(uid: number, gid: number, groups: number[]): void {
    this.#record("setCredentials", [uid, gid, groups]);
  }
  setRlimit(resource: number, soft: number, hard: number): void {
    this.#record("setRlimit", [resource, soft, hard]);
  }
  /** What getRlimit answers, by resource (default: unlimited). */
  readonly rlimits = new Map<number, { soft: number; hard: number }>();
  getRlimit(resource: number): { soft: number; hard: number } {
    this.#record("getRlimit", [resource]);
    return this.rlimits.get(resource) ?? { soft: Infinity, hard: Infinity };
  }
  /** The returned function records one `setRlimit` per limit when called. */
  prepareRlimits(limits: readonly { resource: number; soft: number; hard: number }[]): () => void {
    this.#record("prepareRlimits", [limits]);
    return () => {
      for (const l of limits) this.setRlimit(l.resource, l.soft, l.hard);
    };
  }
  setParentDeathSignal(sig: number): void {
    this.#record("setParentDeathSignal", [sig]);
  }
  joinSessionKeyring(name: string): void {
    this.#record("joinSessionKeyring", [name]);
  }
  cloexecFrom(from: number): void {
    this.#record("cloexecFrom", [from]);
  }
  writeFile(path: string, data: string): void {
    this.#record("writeFile", [path, data]);
  }
  seccompInstall(p: SeccompProgram): void {
    this.#record("seccompInstall", [p]);
  }
  /** The returned function records an `execve`, then throws `FakeExec` (a real one never returns). */
  prepareExecve(path: string, argv: string[], env: string[]): () => never {
    return () => {
      this.#record("prepareExecve", [path, argv, env]); // the exec itself
      throw new FakeExec(path);
    };
  }
  /** Records the call and returns a new fake fd (from `nextFd`). */
  idmappedTree(path: string, usernsFd: number): number {
    this.#record("idmappedTree", [path, usernsFd]);
    return this.nextFd++;
  }
  moveMount(fd: number, target: string): void {
    this.#record("moveMount", [fd, target]);
  }
  /** Whether setBindFlags works (mount_setattr); by default it does not, as on an old kernel. */
  bindFlagsWork = false;
  /** Records the call; returns `bindFlagsWork` (false: the caller remounts). */
  setBindFlags(fd: number, flags: number): boolean {
    this.#record("setBindFlags", [fd, flags]);
    return this.bindFlagsWork;
  }
  /** Records the call and returns a new fake fd (from `nextFd`). */
  openat2(dirfd: number, path: string, flags: number, resolve: number): number {
    this.#record("openat2", [dirfd, path, flags, resolve]);
    return this.nextFd++;
  }
  /** Records the call; answers `mountRoot`. */
  isMountRoot(fd: number): boolean {
    this.#record("isMountRoot", [fd]);
    return this.mountRoot;
  }
  /** What `isMountRoot` answers. */
  mountRoot = true;
  /** Records the call and returns a new fake fd (from `nextFd`). */
  cloneMount(fd: number): number {
    this.#record("cloneMount", [fd]);
    return this.nextFd++;
  }
  /** Records the call and returns `this.nextPid`. */
  spawn(path: string, argv: string[], env: string[], opts: SpawnOptions): number {
    this.#record("spawn", [path, argv, env, opts]);
    return this.nextPid;
  }
  /** Pid `spawn` returns. */
  nextPid = 4242;
}

/** Thrown by the fake's `execve` so a test sees where the sequence ended. */
export class FakeExec extends Error {
  constructor(readonly path: string) {
    super(`execve ${path}`);
    this.name = "FakeExec";
  }
}
