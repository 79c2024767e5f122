/**
 * Persistent network namespace handles, as `ip netns` makes them: the
 * container's netns file (`/proc/<pid>/ns/net`) bind-mounted onto a file
 * under the state root. The handle keeps the namespace (and so the veth,
 * whose host end the bridge plugin's DEL looks up through it) alive after
 * the container's processes died, and it is never a /proc path that a
 * reused pid could point elsewhere. Requires root (CAP_SYS_ADMIN).
 * @module
 */

import { dirname } from "../posix_path.ts";
import type { Kernel } from "../kernel.ts";
import { MNT_DETACH, MS_BIND } from "../../ffi/consts.ts";
import { removeIfExists } from "../fsutil.ts";
import { NetworkError, SyscallError } from "../errors.ts";

/** Undo mountinfo's octal escapes (`\040` for space…). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** True when `path` is a mount point in this mount namespace. */
export function isMountPoint(path: string): boolean {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .some((l) => l && unescapeMountPath(l.split(" ")[4]) === path);
}

/**
 * Bind-mount the netns `source` onto `handle` (created as an empty file).
 * A stale handle at the same path is unmounted first.
 * @throws {NetworkError} source is not a network namespace, or mount failed.
 */
export function pinNetns(kernel: Kernel, source: string, handle: string): void {
  if (source === handle) return;
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(source);
  } catch (err) {
    throw new NetworkError(`network namespace ${source} does not exist`, {
      op: "attach",
      cause: err,
    });
  }
  if (st.isDirectory) {
    throw new NetworkError(`${source} is not a network namespace file`, { op: "attach" });
  }
  unpinNetns(kernel, handle);
  Deno.mkdirSync(dirname(handle), { recursive: true, mode: 0o700 });
  Deno.writeFileSync(handle, new Uint8Array(), { mode: 0o444 });
  try {
    kernel.mount(source, handle, null, MS_BIND);
  } catch (err) {
    removeIfExists(handle);
    throw new NetworkError(`cannot pin network namespace ${source}`, { op: "attach", cause: err });
  }
}

/**
 * Unmount every mount stacked on `handle` and remove the file; a missing
 * handle is fine. After this the namespace lives only as long as processes use it.
 */
export function unpinNetns(kernel: Kernel, handle: string): void {
  for (let i = 0; i < 8 && isMountPoint(handle); i++) {
    try {
      kernel.umount2(handle, MNT_DETACH);
    } catch (err) {
      // raced with another teardown of the same handle
      if (!(err instanceof SyscallError && err.errnoName === "EINVAL")) throw err;
    }
  }
  removeIfExists(handle);
}
