/**
 * OCI `linux.resources.unified`: raw cgroup v2 control files and values,
 * written after everything else (they override the typed fields, as runc
 * does). Keys are file names in the container's directory.
 * @module
 */

import { join } from "../../posix_path.ts";
import { CgroupError } from "../../errors.ts";
import type { CgroupWrite, ResourceLimits } from "../types.ts";

/** `<controller>.<file>`: no slash, no dot-dot. */
const KEY_RE = /^([a-z][a-z0-9_]*)\.[a-z0-9_][a-z0-9_.]*$/;

/** Core files a container must not write through `unified` (they move tasks or nest cgroups). */
const FORBIDDEN = new Set(["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"]);

/**
 * The controllers the keys of `unified` belong to (`memory.high` →
 * memory; `cgroup.*` belongs to no controller).
 * @throws {CgroupError} a key is not a control file name or is one that
 *   moves tasks.
 */
export function unifiedControllers(unified: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const key of Object.keys(unified ?? {})) {
    const m = KEY_RE.exec(key);
    if (!m) {
      throw new CgroupError(
        `invalid linux.resources.unified key "${key}": not a cgroup v2 file name like memory.high`,
      );
    }
    if (FORBIDDEN.has(key)) {
      throw new CgroupError(`invalid linux.resources.unified key "${key}": the runtime manages it`);
    }
    if (m[1] !== "cgroup") out.add(m[1]);
  }
  return [...out];
}

/** Writes for `unified`, in key order as given. */
export function planUnified(l: ResourceLimits, dir: string): CgroupWrite[] {
  return Object.entries(l.unified ?? {}).map(([k, v]) => ({ path: join(dir, k), value: v }));
}
