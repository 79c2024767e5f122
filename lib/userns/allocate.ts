/**
 * `--userns=auto`: a free block of tsbox's own subordinate ids (the
 * `tsbox` entries of /etc/subuid and /etc/subgid, as podman uses its
 * `containers` user and docker its `dockremap`), never overlapping the ids
 * of another container. The caller holds the create lock and passes the
 * ranges every existing container uses. Pure apart from `tsboxRanges`.
 * @module
 */

import type { LinuxIDMapping } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";
import { type IdRange, parseSubid, readSubidFile, withinRanges } from "./subid.ts";
import type { UsernsRecord, UsernsRequest } from "./maps.ts";

/** The user whose subordinate ranges tsbox allocates from. */
export const SUBID_USER = "tsbox";

/** tsbox's ranges (reads /etc/subuid and /etc/subgid, or the given files). */
export function tsboxRanges(
  files = { subuid: "/etc/subuid", subgid: "/etc/subgid" },
): { uid: IdRange[]; gid: IdRange[] } {
  return {
    uid: parseSubid(readSubidFile(files.subuid), { name: SUBID_USER }),
    gid: parseSubid(readSubidFile(files.subgid), { name: SUBID_USER }),
  };
}

/** The first `size` ids in `ranges` that overlap nothing in `used`. Pure. */
export function firstFree(size: number, ranges: IdRange[], used: IdRange[]): number | undefined {
  const sorted = [...used].sort((a, b) => a.start - b.start);
  for (const r of ranges) {
    let start = r.start;
    for (const u of sorted) {
      if (u.start + u.count <= start) continue;
      if (u.start >= start + size) break;
      start = u.start + u.count; // overlaps: try just after it
    }
    if (start + size <= r.start + r.count) return start;
  }
  return undefined;
}

/** The host ids of a container's maps. Pure. */
export function hostRanges(maps: LinuxIDMapping[]): IdRange[] {
  return maps.map((m) => ({ start: m.hostID, count: m.size }));
}

/**
 * The record for a request, or undefined for `host`.
 * @param used host ids held by existing containers (uids, gids).
 * @throws {UsageError} no tsbox ranges configured, none free, or a map without container root.
 */
export function resolveUserns(
  req: UsernsRequest,
  used: { uid: IdRange[]; gid: IdRange[] },
  ranges: () => { uid: IdRange[]; gid: IdRange[] },
): UsernsRecord | undefined {
  if (req.mode === "host") return undefined;
  const own = ranges();
  if (req.mode === "map") {
    const checks = [["--uidmap", req.uid, own.uid, "/etc/subuid"], [
      "--gidmap",
      req.gid,
      own.gid,
      "/etc/subgid",
    ]] as const;
    for (const [flag, maps, mine, file] of checks) {
      if (!maps.some((m) => m.containerID === 0)) {
        throw new UsageError(`${flag} must map container id 0 (the container's root)`);
      }
      // only ids delegated to tsbox: container root must never be a real host user
      const out = maps.find((m) => !withinRanges(m.hostID, m.size, mine));
      if (out) {
        throw new UsageError(
          `${flag} ${out.containerID}:${out.hostID}:${out.size}: host ids ${out.hostID}-${
            out.hostID + out.size - 1
          } are not in the subordinate ids of "${SUBID_USER}" (${file})`,
        );
      }
    }
    return { mode: "map", uidMappings: req.uid, gidMappings: req.gid };
  }
  if (!own.uid.length || !own.gid.length) {
    throw new UsageError(
      `--userns=auto needs subordinate ids for user "${SUBID_USER}" in /etc/subuid and /etc/subgid`,
      { hint: `e.g. echo ${SUBID_USER}:1000000:65536000 | tee -a /etc/subuid /etc/subgid` },
    );
  }
  const uid = firstFree(req.size, own.uid, used.uid);
  const gid = firstFree(req.size, own.gid, used.gid);
  if (uid === undefined || gid === undefined) {
    throw new UsageError(
      `--userns=auto: no free range of ${req.size} ids left in the subordinate ids of "${SUBID_USER}"`,
      { hint: "remove containers, or add ranges to /etc/subuid and /etc/subgid" },
    );
  }
  return {
    mode: "auto",
    uidMappings: [{ containerID: 0, hostID: uid, size: req.size }],
    gidMappings: [{ containerID: 0, hostID: gid, size: req.size }],
  };
}
