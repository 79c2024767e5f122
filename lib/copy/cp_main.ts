/**
 * Hidden `__cp`: the helper `tsbox cp` runs to touch a container's files
 * from the container's own point of view, so that no symlink in the
 * container can make tsbox read or write outside it (CVE-2018-15664).
 * For a running container it joins the mount namespace (unshare(CLONE_FS),
 * then setns — root and cwd become the container's root, its volumes are
 * there); for a stopped one it makes a private mount namespace, mounts the
 * container's overlay and volumes and chroots into it (gone when it exits).
 * Then, with blocking calls on the main thread only, it archives the
 * source to stdout or extracts stdin below the destination, and reports
 * one JSON line on stderr. Needs root.
 * @module
 */

import type { Command } from "../cli/context.ts";
import type { Kernel } from "../kernel.ts";
import { CLONE_FS, CLONE_NEWNS, MS_PRIVATE, MS_REC } from "../../ffi/consts.ts";
import { openNsFd } from "../../ffi/ns.ts";
import { closeFd } from "../../ffi/fds.ts";
import { exitCodeOf, TsboxError } from "../errors.ts";
import { pidStartTime } from "../container/proc.ts";
import { layersParent, overlayData } from "../init/rootfs_plan.ts";
import { applyMounts } from "../../volumes/mount.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import { CP_SPEC_ENV, type CpReply, type CpSpec } from "./cp_spec.ts";
import { CopyError, copyTarget, sourceBase } from "./copy_rules.ts";
import { packTreeSync, TarReaderSync } from "./tar_sync.ts";
import { extractSync } from "./extract_sync.ts";

function reply(r: CpReply): void {
  Deno.stderr.writeSync(new TextEncoder().encode(JSON.stringify(r) + "\n"));
}

/** Enter the container's filesystem view (see the module doc). */
function enter(kernel: Kernel, spec: CpSpec): void {
  const w = spec.where;
  if (w.kind === "running") {
    const fd = openNsFd(`/proc/${w.pid}/ns/mnt`);
    try {
      if (pidStartTime(w.pid) !== w.pidStartTime) {
        throw new TsboxError(`container ${spec.container} is not running`, { exitCode: 1 });
      }
      kernel.unshare(CLONE_FS); // setns(mnt) refuses a shared fs struct
      kernel.setns(fd, CLONE_NEWNS);
    } finally {
      closeFd(fd);
    }
    return;
  }
  kernel.unshare(CLONE_FS | CLONE_NEWNS);
  kernel.mount(null, "/", null, MS_REC | MS_PRIVATE);
  // relative layer names keep the options under the kernel's one-page limit, as the init does
  const parent = layersParent(w.lowerDirs);
  if (parent) kernel.chdir(parent);
  const lowers = parent ? w.lowerDirs.map((d) => d.slice(parent.length + 1)) : w.lowerDirs;
  kernel.mount("overlay", w.merged, "overlay", 0, overlayData(lowers, w.upper, w.work));
  applyMounts(kernel, w.merged, w.mounts as PreparedMount[]);
  kernel.chroot(w.merged);
  kernel.chdir("/");
}

function lstat(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined; // the path is not there
    }
    throw err;
  }
}

function copyOut(spec: CpSpec): CpReply {
  const path = spec.path.replace(/\/\.$/, "/") || "/";
  let st = lstat(path.replace(/\/+$/, "") || "/");
  if (st?.isSymlink && (spec.follow || path.endsWith("/"))) st = statOrUndefined(path);
  if (!st) {
    throw new CopyError(`Could not find the file ${spec.path} in container ${spec.container}`);
  }
  if (spec.path.endsWith("/") && !st.isDirectory) {
    throw new CopyError(`not a directory: ${spec.path}`);
  }
  const base = sourceBase(spec.path);
  const src = path.replace(/\/+$/, "") || "/";
  const bytes = packTreeSync(src, base, spec.follow || path.endsWith("/"), (b) => {
    let off = 0;
    while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
  });
  return { ok: true, isDir: st.isDirectory, base, bytes };
}

function statOrUndefined(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // a dangling link
    throw err;
  }
}

function copyIn(kernel: Kernel, spec: CpSpec): CpReply {
  const reader = new TarReaderSync((buf) => Deno.stdin.readSync(buf));
  const opts = { archive: spec.archive, uid: 0, gid: 0 };
  if (!spec.source) {
    // a tar on stdin: the destination must be an existing directory
    const st = statOrUndefined(spec.path);
    if (!st) {
      throw new CopyError(`Could not find the file ${spec.path} in container ${spec.container}`);
    }
    if (!st.isDirectory) throw new CopyError(`extraction point is not a directory: ${spec.path}`);
    return { ok: true, bytes: extractSync(reader, spec.path, kernel, opts) };
  }
  const dest = spec.path;
  const clean = dest.replace(/\/+$/, "") || "/";
  const st = statOrUndefined(clean);
  const parent = clean.slice(0, clean.lastIndexOf("/")) || "/";
  const target = copyTarget(spec.source.typed, spec.source, dest, {
    exists: st !== undefined,
    isDir: st?.isDirectory === true,
    parentIsDir: statOrUndefined(parent)?.isDirectory === true,
  });
  const bytes = extractSync(reader, target.dir, kernel, {
    ...opts,
    rename: { from: spec.source.base, to: target.name },
  });
  return { ok: true, bytes };
}

/** Hidden `__cp` entry: exit 0 on success, else the error's code (after the JSON reply). */
export const main: Command = (_args, ctx) => {
  const raw = Deno.env.get(CP_SPEC_ENV);
  if (!raw) return Promise.reject(new TsboxError("__cp is internal to tsbox"));
  const spec = JSON.parse(raw) as CpSpec;
  try {
    enter(ctx.kernel, spec);
    reply(spec.op === "out" ? copyOut(spec) : copyIn(ctx.kernel, spec));
    return Promise.resolve(0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = exitCodeOf(err);
    reply({ ok: false, message, code });
    return Promise.resolve(code);
  }
};
