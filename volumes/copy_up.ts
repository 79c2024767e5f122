/**
 * Copy-up: a new (empty) volume mounted over an image dir with content
 * starts with that content — files, dirs, symlinks, device nodes, hard
 * links, with owners, modes and times kept (docker's copyExistingContents).
 * A volume that already has content is never touched.
 *
 * The copy is built in a private staging dir beside `_data` (no container
 * can see it) and each top-level entry is then moved in with
 * renameat2(RENAME_NOREPLACE): nothing in `_data` is ever followed or
 * overwritten, even if another container using the volume races us.
 * Extended attributes are not copied.
 *
 * Sync only: this runs in the init, inside the container's mount namespace.
 * @module
 */

import { join } from "../lib/posix_path.ts";
import type { Kernel } from "../lib/kernel.ts";
import { SyscallError } from "../lib/errors.ts";
import { renameNoReplace } from "../ffi/openat.ts";
import { randomVolumeName } from "./names.ts";
import { removeTreeNoMounts } from "./remove_tree.ts";

/** True when `dir` has no entries. */
function isEmptyDir(dir: string): boolean {
  for (const _ of Deno.readDirSync(dir)) return false;
  return true;
}

function seconds(d: Date | null): number {
  return d ? d.getTime() / 1000 : Date.now() / 1000;
}

/** Owner, then mode (chown clears setuid bits), then times (last: writes change them). */
function copyMeta(kernel: Kernel, st: Deno.FileInfo, to: string): void {
  kernel.lchown(to, st.uid ?? 0, st.gid ?? 0);
  if (!st.isSymlink) Deno.chmodSync(to, (st.mode ?? 0o755) & 0o7777);
  kernel.lutimes(to, seconds(st.atime), seconds(st.mtime));
}

/** Copy one entry (recursively) from the image into the staging dir. */
function copyEntry(
  kernel: Kernel,
  from: string,
  to: string,
  dev: number,
  links: Map<string, string>,
): void {
  const st = Deno.lstatSync(from);
  if (!st.isDirectory && (st.nlink ?? 1) > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) {
      Deno.linkSync(first, to);
      return;
    }
    links.set(key, to);
  }
  if (st.isDirectory) {
    Deno.mkdirSync(to);
    // another filesystem mounted inside the image dir is not part of the image
    if (st.dev === dev) {
      for (const e of Deno.readDirSync(from)) {
        copyEntry(kernel, join(from, e.name), join(to, e.name), dev, links);
      }
    }
  } else if (st.isFile) Deno.copyFileSync(from, to);
  else if (st.isSymlink) Deno.symlinkSync(Deno.readLinkSync(from), to);
  else if (st.isFifo || st.isCharDevice || st.isBlockDevice) {
    kernel.mknod(to, st.mode ?? 0, BigInt(st.rdev ?? 0));
  } else return; // sockets belong to a process, not to the image: skip
  copyMeta(kernel, st, to);
}

/**
 * Copy image dir `src` into the volume's `dataDir` if `dataDir` is empty;
 * `volumeDir` (its parent, invisible to containers) holds the staging dir.
 * The volume root also gets `src`'s owner and mode, as in docker.
 * Requires root (ownership, device nodes).
 * @returns false when the volume had content (nothing was done) or `src` is not a dir.
 * @throws {SyscallError | Deno.errors} a copy step failed (staging is removed; `dataDir` keeps what was moved in).
 */
export function copyUp(kernel: Kernel, src: string, volumeDir: string, dataDir: string): boolean {
  const srcSt = Deno.lstatSync(src);
  if (!srcSt.isDirectory || !isEmptyDir(dataDir)) return false;
  const staging = join(volumeDir, `.copyup-${randomVolumeName().slice(0, 16)}`);
  Deno.mkdirSync(staging, { mode: 0o700 });
  let done = false;
  let cleanupError: unknown;
  try {
    const links = new Map<string, string>();
    for (const e of Deno.readDirSync(src)) {
      copyEntry(kernel, join(src, e.name), join(staging, e.name), srcSt.dev, links);
    }
    for (const e of Deno.readDirSync(staging)) {
      try {
        renameNoReplace(join(staging, e.name), join(dataDir, e.name));
      } catch (err) {
        // someone wrote that name into the volume meanwhile: theirs wins, data is never replaced
        if (!(err instanceof SyscallError && err.errnoName === "EEXIST")) throw err;
      }
    }
    kernel.lchown(dataDir, srcSt.uid ?? 0, srcSt.gid ?? 0);
    Deno.chmodSync(dataDir, (srcSt.mode ?? 0o755) & 0o7777);
    done = true;
  } finally {
    cleanupError = removeStaging(staging);
  }
  // after a failed copy, the copy's own error (already thrown) is the one reported
  if (done && cleanupError) throw cleanupError;
  return true;
}

/** Remove the staging dir; returns the error instead of throwing (see copyUp's finally). */
function removeStaging(staging: string): unknown {
  try {
    removeTreeNoMounts(staging);
    return undefined;
  } catch (err) {
    return err;
  }
}
