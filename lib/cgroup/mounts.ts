/**
 * Where a container's cgroup dirs appear inside it: v1, one per hierarchy
 * under /sys/fs/cgroup/<hierarchy>; v2, the one dir at /sys/fs/cgroup.
 * @module
 */

import type { ContainerCgroup } from "./types.ts";

/** Source (host dir) and target (container path) of each cgroup view mount. Pure. */
export function cgroupViewMounts(
  version: 1 | 2,
  cg: ContainerCgroup,
): { source: string; target: string }[] {
  return cg.paths.filter((p) => p.startsWith("/sys/fs/cgroup/")).map((source) => {
    const hierarchy = source.slice("/sys/fs/cgroup/".length).split("/")[0];
    return { source, target: version === 2 ? "/sys/fs/cgroup" : `/sys/fs/cgroup/${hierarchy}` };
  });
}
