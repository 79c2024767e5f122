/**
 * specgen for shared namespaces and /dev/shm: docker's `--pid`, `--ipc`,
 * `--uts`, `--network` modes (already turned into paths by the runner)
 * and `--shm-size` → OCI `linux.namespaces` and the /dev/shm mount. Pure.
 * @module
 */

import type { LinuxNamespace, Mount } from "../oci/spec.ts";

/** One namespace: undefined = a new one, null = the host's (left out), a path = joined. */
export type NamespaceJoin = string | null | undefined;

/** The joins of one start (see `lib/container/namespace_join.ts`). */
export interface SpecJoins {
  pid?: NamespaceJoin;
  ipc?: NamespaceJoin;
  uts?: NamespaceJoin;
  net?: NamespaceJoin;
  /** The IPC donor's /dev/shm as the host reaches it (`/proc/<pid>/root/dev/shm`). */
  shm?: { source: string };
}

/** docker's default /dev/shm size (64 MiB). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

function entry(type: LinuxNamespace["type"], join: NamespaceJoin): LinuxNamespace[] {
  if (join === null) return [];
  return join ? [{ type, path: join }] : [{ type }];
}

/**
 * `linux.namespaces` in the order the init expects (pid, ipc, uts, mount,
 * network, cgroup). The mount namespace is always new.
 */
export function specNamespaces(j: SpecJoins, privateCgroupns: boolean): LinuxNamespace[] {
  return [
    ...entry("pid", j.pid),
    ...entry("ipc", j.ipc),
    ...entry("uts", j.uts),
    { type: "mount" },
    ...entry("network", j.net),
    ...(privateCgroupns ? [{ type: "cgroup" as const }] : []),
  ];
}

/**
 * The default mounts with /dev/shm as the IPC mode wants it (docker's
 * modes): a tmpfs of `shmSize` bytes (`private`, `shareable`); the host's
 * /dev/shm (bound) for `host`; none for `none`; for `container:` the
 * donor's, `donorShm` (a start's: the init attaches the donor's very
 * mount there, see lib/init/donor_shm.ts) — without it (the spec `create`
 * writes, before any donor is joined) a tmpfs.
 */
export function withShm(
  mounts: Mount[],
  ipcMode: string,
  shmSize: number,
  donorShm?: string,
): Mount[] {
  return mounts.flatMap((m): Mount[] => {
    if (m.destination !== "/dev/shm") return [m];
    if (ipcMode === "none") return [];
    if (ipcMode.startsWith("container:") && donorShm !== undefined) {
      return [{
        destination: "/dev/shm",
        type: "bind",
        source: donorShm,
        options: ["bind", "rprivate"],
      }];
    }
    if (ipcMode === "host") {
      return [{
        destination: "/dev/shm",
        type: "bind",
        source: "/dev/shm",
        options: ["rbind", "rprivate"],
      }];
    }
    const kib = Math.ceil(shmSize / 1024);
    const options = (m.options ?? []).filter((o) => !o.startsWith("size="));
    return [{ ...m, options: [...options, `size=${kib}k`] }];
  });
}
