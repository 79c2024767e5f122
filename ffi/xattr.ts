/**
 * Reading extended attributes (lgetxattr), for checks of unpacked layers
 * (opaque dirs) and tests. Reading `trusted.*` needs CAP_SYS_ADMIN.
 * @module
 */

import { errno, libc } from "./libc.ts";
import { cstr } from "./cstring.ts";
import { syscallError } from "./syscall.ts";

const ENODATA = 61;

/**
 * The value of xattr `name` on `path` (a final symlink is not followed),
 * or undefined when the attribute is not set.
 * @throws {SyscallError} any other failure (ENOENT, EPERM, …).
 */
export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const p = cstr(path);
  const n = cstr(name);
  let buf = new Uint8Array(256);
  for (let tries = 0; tries < 4; tries++) {
    const r = Number(libc().lgetxattr(p, n, buf, BigInt(buf.length)));
    if (r >= 0) return buf.slice(0, r);
    const e = errno();
    if (e === ENODATA) return undefined;
    if (e !== 34 /* ERANGE: value grew, ask for its size */) {
      throw syscallError("lgetxattr", e, path);
    }
    const size = Number(libc().lgetxattr(p, n, null, 0n));
    if (size < 0) throw syscallError("lgetxattr", errno(), path);
    buf = new Uint8Array(size);
  }
  throw syscallError("lgetxattr", 34, path);
}

/**
 * Names of the xattrs on `path` (a final symlink is not followed), sorted.
 * @throws {SyscallError} any failure but ENOTSUP (no xattrs: []).
 */
export function llistxattr(path: string): string[] {
  const p = cstr(path);
  for (let tries = 0; tries < 4; tries++) {
    const size = Number(libc().llistxattr(p, null, 0n));
    if (size < 0) {
      const e = errno();
      if (e === 95 /* ENOTSUP */) return [];
      throw syscallError("llistxattr", e, path);
    }
    if (size === 0) return [];
    const buf = new Uint8Array(size);
    const r = Number(libc().llistxattr(p, buf, BigInt(size)));
    if (r < 0) {
      if (errno() === 34 /* ERANGE: the list grew meanwhile */) continue;
      throw syscallError("llistxattr", errno(), path);
    }
    return new TextDecoder().decode(buf.subarray(0, r)).split("\0").filter(Boolean).sort();
  }
  throw syscallError("llistxattr", 34, path);
}
