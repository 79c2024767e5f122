/**
 * A recording fake of the kernel calls layer unpacking uses, so the
 * extraction logic is tested without root. The unprivileged fd-relative
 * calls (openat, mkdirat, symlinkat, linkat, unlinkat, statx, write,
 * fchmod, utimensat, close) go to the real kernel, so the tree and every
 * refusal by O_NOFOLLOW are real; the privileged ones are only recorded:
 * `mknodat` leaves an empty regular file where the node would be (so later
 * calls see something there), owners and xattrs are not set. Every call is
 * recorded with the absolute path it acted on, and a call can be made to fail.
 * @module
 */

import type { UnpackKernel } from "../../lib/image/unpack.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { SyscallError } from "../../lib/errors.ts";
import { AT_FDCWD, O_CREAT, O_EXCL, O_WRONLY } from "../../ffi/consts.ts";

/** One recorded call. */
export interface Call {
  op: string;
  path: string;
  args: unknown[];
}

/** Recording fake of the unpack kernel calls. */
export class FakeKernel implements UnpackKernel {
  calls: Call[] = [];
  /** op → errno name to throw (e.g. `{ fsetxattr: "EOPNOTSUPP" }`). */
  fail: Record<string, string> = {};
  readonly #real = new LinuxKernel();
  /** Path each fd was opened at. */
  readonly #fdPath = new Map<number, string>();

  #at(dirfd: number, name: string | null): string {
    if (name !== null && name.startsWith("/")) return name;
    const dir = dirfd === AT_FDCWD ? Deno.cwd() : this.#fdPath.get(dirfd) ?? `<fd ${dirfd}>`;
    return name ? `${dir}/${name}` : dir;
  }
  #rec(op: string, path: string, ...args: unknown[]): void {
    this.calls.push({ op, path, args });
    const e = this.fail[op];
    if (e) throw new SyscallError(op, 1, e, "injected failure", path);
  }

  openat(dirfd: number, name: string, flags: number, mode: number): number {
    const path = this.#at(dirfd, name);
    this.#rec("openat", path, flags, mode);
    const fd = this.#real.openat(dirfd, name, flags, mode);
    this.#fdPath.set(fd, path);
    return fd;
  }
  mkdirat(dirfd: number, name: string, mode: number): void {
    this.#rec("mkdirat", this.#at(dirfd, name), mode);
    this.#real.mkdirat(dirfd, name, mode);
  }
  symlinkat(target: string, dirfd: number, name: string): void {
    this.#rec("symlinkat", this.#at(dirfd, name), target);
    this.#real.symlinkat(target, dirfd, name);
  }
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
    this.#rec("linkat", this.#at(newdirfd, newname), this.#at(olddirfd, oldname));
    this.#real.linkat(olddirfd, oldname, newdirfd, newname);
  }
  /** Records the node and leaves an empty regular file in its place. */
  mknodat(dirfd: number, name: string, mode: number, dev: bigint): void {
    this.#rec("mknodat", this.#at(dirfd, name), mode, dev);
    this.#real.close(this.#real.openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0o600));
  }
  /** Recorded only. */
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void {
    this.#rec("fchownat", this.#at(dirfd, name), uid, gid, flags);
  }
  fchmod(fd: number, mode: number): void {
    this.#rec("fchmod", this.#at(fd, null), mode);
    this.#real.fchmod(fd, mode);
  }
  fchmodat(dirfd: number, name: string, mode: number): void {
    this.#rec("fchmodat", this.#at(dirfd, name), mode);
    this.#real.fchmodat(dirfd, name, mode);
  }
  utimensat(dirfd: number, name: string | null, atime: number, mtime: number, flags: number): void {
    this.#rec("utimensat", this.#at(dirfd, name), atime, mtime, flags);
    this.#real.utimensat(dirfd, name, atime, mtime, flags);
  }
  unlinkat(dirfd: number, name: string, flags: number): void {
    this.#rec("unlinkat", this.#at(dirfd, name), flags);
    this.#real.unlinkat(dirfd, name, flags);
  }
  /** Recorded only (value decoded as text). */
  fsetxattr(fd: number, name: string, value: Uint8Array): void {
    this.#rec("fsetxattr", this.#at(fd, null), name, new TextDecoder().decode(value));
  }
  /** Recorded only; a `/proc/self/fd/N/…` path is shown as the path it names. */
  lsetxattr(path: string, name: string, value: Uint8Array): void {
    const m = /^\/proc\/self\/fd\/(\d+)\/(.*)$/.exec(path);
    const shown = m ? this.#at(Number(m[1]), m[2]) : path;
    this.#rec("lsetxattr", shown, name, new TextDecoder().decode(value));
  }
  statxMode(dirfd: number, name: string, flags: number): number {
    this.#rec("statxMode", this.#at(dirfd, name), flags);
    return this.#real.statxMode(dirfd, name, flags);
  }
  writeFd(fd: number, data: Uint8Array): void {
    this.#rec("writeFd", this.#at(fd, null), data.length);
    this.#real.writeFd(fd, data);
  }
  close(fd: number): void {
    this.#rec("close", this.#at(fd, null));
    this.#fdPath.delete(fd);
    this.#real.close(fd);
  }
  /** Recorded only. */
  lchown(path: string, uid: number, gid: number): void {
    this.#rec("lchown", path, uid, gid);
  }
  /** Recorded only. */
  lutimes(path: string, atime: number, mtime: number): void {
    this.#rec("lutimes", path, atime, mtime);
  }
  /** Calls of one kind. */
  of(op: string): Call[] {
    return this.calls.filter((c) => c.op === op);
  }
  /** Xattrs set, by fd or by path: [path, name, value]. */
  xattrs(): [string, string, string][] {
    return this.calls
      .filter((c) => c.op === "fsetxattr" || c.op === "lsetxattr")
      .map((c) => [c.path, c.args[0] as string, c.args[1] as string]);
  }
  /** fds this fake saw opened and not closed. */
  get openFds(): number[] {
    return [...this.#fdPath.keys()];
  }
}
