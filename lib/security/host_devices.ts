/**
 * The host's device nodes, for `--privileged` (docker gives a privileged
 * container every device under the host's /dev, as runc's HostDevices).
 * @module
 */

import type { LinuxDevice } from "../oci/spec.ts";

const SKIP_DIRS = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);

/** Every char/block device under `dir` (default /dev), skipping pts, shm, mqueue, console and ptmx. */
export function hostDevices(dir = "/dev"): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (!SKIP_DIRS.has(e.name)) out.push(...hostDevices(path));
      continue;
    }
    if (e.isSymlink || e.name === "console" || e.name === "ptmx") continue; // ptmx: the devpts symlink
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // removed while we listed (udev)
      throw err;
    }
    if (!st.isCharDevice && !st.isBlockDevice) continue;
    const rdev = st.rdev ?? 0;
    out.push({
      path,
      type: st.isCharDevice ? "c" : "b",
      major: (rdev >> 8) & 0xfff,
      minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
      fileMode: (st.mode ?? 0o600) & 0o7777,
      uid: st.uid ?? 0,
      gid: st.gid ?? 0,
    });
  }
  return out;
}
