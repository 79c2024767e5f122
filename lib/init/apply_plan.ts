/**
 * Execute rootfs plan steps with the Kernel and SYNC fs calls (the init runs
 * inside new namespaces; async ops would run on threads with the host view).
 * @module
 */

import { relative } from "../posix_path.ts";
import type { Kernel } from "../kernel.ts";
import type { Step } from "./rootfs_plan.ts";
import { makedev, MS_BIND, MS_RDONLY } from "../../ffi/consts.ts";
import { SyscallError, TsboxError } from "../errors.ts";
import { lstatKind } from "../../ffi/at.ts";

/**
 * Refuse a path under `root` whose components (below root) are symlinks:
 * a malicious image could otherwise point /proc or /etc/hosts at a host path.
 */
export function assertNoSymlinkBelow(root: string, path: string): void {
  const rel = relative(root, path);
  if (rel.startsWith("..")) return; // not inside the rootfs (e.g. `/`): nothing to check
  let cur = root;
  for (const part of rel.split("/").filter(Boolean)) {
    cur = `${cur}/${part}`;
    const st = lstatKind(cur);
    if (st === undefined) return; // will be created as a plain dir/file
    if (st === "symlink") {
      throw new TsboxError(`refusing to mount over ${path}: ${cur} is a symlink in the image`);
    }
  }
}

/** Apply steps in order. `rootfs` bounds the symlink checks. */
export function applySteps(kernel: Kernel, rootfs: string, steps: Step[]): void {
  for (const s of steps) {
    switch (s.op) {
      case "mkdir":
        assertNoSymlinkBelow(rootfs, s.path);
        Deno.mkdirSync(s.path, { recursive: true, mode: s.mode });
        break;
      case "chdir":
        kernel.chdir(s.path);
        break;
      case "symlink":
        try {
          Deno.symlinkSync(s.target, s.path);
        } catch (err) {
          // a bind-mounted /dev (or the image) has it already: keep what is there, as runc does
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        }
        break;
      case "attach":
        assertNoSymlinkBelow(rootfs, s.target);
        kernel.moveMount(s.fd, s.target);
        break;
      case "touch":
        assertNoSymlinkBelow(rootfs, s.path);
        if (!existsNoFollow(s.path)) Deno.writeFileSync(s.path, new Uint8Array(), { mode: 0o644 });
        break;
      case "chown":
        kernel.lchown(s.path, s.uid, s.gid);
        break;
      case "write":
        kernel.writeFile(s.path, s.data);
        break;
      case "mask":
        mask(kernel, rootfs, s.path);
        break;
      case "mknod":
        if (existsNoFollow(s.path)) break; // a bind-mounted /dev already has it
        kernel.mknod(s.path, s.mode, makedev(s.major, s.minor));
        // mknod honours the umask: set the real mode explicitly
        Deno.chmodSync(s.path, s.mode & 0o7777);
        break;
      case "mount":
        if (s.target !== "/" && s.target !== rootfs) assertNoSymlinkBelow(rootfs, s.target);
        try {
          kernel.mount(s.source, s.target, s.fstype, s.flags, s.data ?? null);
        } catch (err) {
          // optional mounts (masks, mqueue) are skipped when the path or fs is absent
          if (
            s.optional && err instanceof SyscallError &&
            ["ENOENT", "ENODEV", "EINVAL"].includes(err.errnoName)
          ) break;
          throw err;
        }
        break;
    }
  }
}

/** Hide `path` (runc's maskPath): dir → empty read-only tmpfs, anything else → /dev/null bind. */
function mask(kernel: Kernel, rootfs: string, path: string): void {
  assertNoSymlinkBelow(rootfs, path);
  const st = lstatKind(path);
  if (st === undefined) return; // this kernel has no such file
  if (st === "dir") kernel.mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0");
  else kernel.mount("/dev/null", path, null, MS_BIND, null);
}

function existsNoFollow(path: string): boolean {
  return lstatKind(path) !== undefined; // usually not: a fresh /dev tmpfs
}
