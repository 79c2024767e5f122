/**
 * A small recording fake of the `Kernel` calls layer unpacking uses, so the
 * extraction logic is tested without root. `mknod` leaves an empty regular
 * file where the node would be (so later lstat calls see something), and a
 * call can be made to fail.
 * @module
 */

import type { UnpackKernel } from "../../lib/image/unpack.ts";
import { SyscallError } from "../../lib/errors.ts";

/** One recorded call. */
export interface Call {
  op: string;
  path: string;
  args: unknown[];
}

/** Recording fake of the unpack kernel calls. */
export class FakeKernel implements UnpackKernel {
  calls: Call[] = [];
  /** op → errno name to throw (e.g. `{ lsetxattr: "EOPNOTSUPP" }`). */
  fail: Record<string, string> = {};

  #rec(op: string, path: string, ...args: unknown[]): void {
    this.calls.push({ op, path, args });
    const e = this.fail[op];
    if (e) throw new SyscallError(op, 1, e, "injected failure", path);
  }
  mknod(path: string, mode: number, dev: bigint): void {
    this.#rec("mknod", path, mode, dev);
    Deno.writeFileSync(path, new Uint8Array(), { createNew: true });
  }
  lchown(path: string, uid: number, gid: number): void {
    this.#rec("lchown", path, uid, gid);
  }
  lsetxattr(path: string, name: string, value: Uint8Array): void {
    this.#rec("lsetxattr", path, name, new TextDecoder().decode(value));
  }
  lutimes(path: string, atime: number, mtime: number): void {
    this.#rec("lutimes", path, atime, mtime);
  }
  /** Calls of one kind. */
  of(op: string): Call[] {
    return this.calls.filter((c) => c.op === op);
  }
}
