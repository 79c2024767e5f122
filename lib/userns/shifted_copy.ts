/**
 * The fallback where the kernel or filesystem cannot idmap a layer (Linux
 * < 5.19 for overlayfs lowers, a filesystem without idmapping): a copy of
 * the layer in the container's own dir with every owner shifted through
 * the container's id maps. Made once per container (its dir holds it, so
 * `rm` removes it); a copy interrupted half-way is redone. Requires root.
 * @module
 */

import { join } from "../posix_path.ts";
import { hostIdOf } from "./maps.ts";
import type { LinuxIDMapping } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";
import { exists } from "../fsutil.ts";

/** The kernel's answers that mean "this kernel/filesystem cannot idmap". */
export const NO_IDMAP_ERRNOS = ["EINVAL", "ENOSYS", "EOPNOTSUPP", "ENOTSUP"];

/** Shift the owner of every entry under `dir` (not following symlinks). */
function shiftTree(dir: string, uid: LinuxIDMapping[], gid: LinuxIDMapping[]): void {
  const shift = (p: string) => {
    const st = Deno.lstatSync(p);
    // an id the maps do not cover stays as it is: it shows as the overflow id inside
    const u = hostIdOf(uid, st.uid!) ?? st.uid!;
    const g = hostIdOf(gid, st.gid!) ?? st.gid!;
    if (u !== st.uid || g !== st.gid) Deno.chownSync(p, u, g); // chown keeps a symlink's target
    if (st.isDirectory) { for (const e of Deno.readDirSync(p)) shift(join(p, e.name)); }
  };
  shift(dir);
}

/** rm -r of a path of ours that may not exist (no mounts: the container's mounts are in its ns). */
function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // nothing to remove
  }
}

/**
 * Make `dest` (an existing empty dir, or a finished copy) a copy of layer
 * `src` with shifted owners. `cp -a` keeps devices (whiteouts), hard links
 * and xattrs (opaque marks).
 * @throws {TsboxError} the copy failed.
 */
export function shiftedCopy(
  src: string,
  dest: string,
  maps: { uid: LinuxIDMapping[]; gid: LinuxIDMapping[] },
): void {
  const done = `${dest}.done`;
  if (exists(done)) return; // copied on an earlier start
  const tmp = `${dest}.tmp`;
  removeIfPresent(tmp); // a copy a crash interrupted
  const cp = new Deno.Command("cp", { args: ["-a", `${src}/.`, tmp], stderr: "piped" })
    .outputSync();
  if (!cp.success) {
    throw new TsboxError(`copy layer ${src}: ${new TextDecoder().decode(cp.stderr).trim()}`);
  }
  shiftTree(tmp, maps.uid, maps.gid);
  Deno.removeSync(dest, { recursive: true });
  Deno.renameSync(tmp, dest);
  Deno.writeTextFileSync(done, "");
}
