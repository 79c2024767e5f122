/**
 * User namespace settings of a container: docker/podman flags
 * (`--userns host|auto[:size=N]|keep-id`, `--uidmap CTR:HOST:N`,
 * `--gidmap`) → a checked request; id maps in OCI's shape. Pure.
 * @module
 */

import type { LinuxIDMapping } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";

/** What the user asked for. */
export type UsernsRequest =
  | { mode: "host" }
  | { mode: "auto"; size: number }
  | { mode: "map"; uid: LinuxIDMapping[]; gid: LinuxIDMapping[] };

/** A container's user namespace, as recorded. */
export interface UsernsRecord {
  /** How the maps were chosen. */
  mode: "auto" | "map";
  uidMappings: LinuxIDMapping[];
  gidMappings: LinuxIDMapping[];
  /** How the image layers were shown at the last start (absent: not started yet). */
  layers?: "idmapped" | "chowned copy";
}

/** docker's and podman's default size of an automatic range. */
export const AUTO_SIZE = 65536;

/** Parse one `CTR:HOST:N` value. */
export function parseIdMap(flag: string, v: string): LinuxIDMapping {
  const m = /^(\d+):(\d+):(\d+)$/.exec(v.trim());
  if (!m) throw new UsageError(`invalid ${flag} "${v}": expected CONTAINER_ID:HOST_ID:SIZE`);
  const [containerID, hostID, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const max = 2 ** 32 - 1;
  if (size < 1 || containerID + size > max || hostID + size > max) {
    throw new UsageError(`invalid ${flag} "${v}": the range is empty or past 4294967295`);
  }
  return { containerID, hostID, size };
}

/** Refuse overlapping entries (the kernel would refuse the map). */
export function checkMaps(flag: string, maps: LinuxIDMapping[]): void {
  if (maps.length > 340) throw new UsageError(`too many ${flag} entries (the kernel takes 340)`);
  const overlap = (a0: number, an: number, b0: number, bn: number) => a0 < b0 + bn && b0 < a0 + an;
  for (let i = 0; i < maps.length; i++) {
    for (let j = i + 1; j < maps.length; j++) {
      const [a, b] = [maps[i], maps[j]];
      if (overlap(a.containerID, a.size, b.containerID, b.size)) {
        throw new UsageError(
          `overlapping ${flag} entries: container ids of "${fmt(a)}" and "${fmt(b)}"`,
        );
      }
      if (overlap(a.hostID, a.size, b.hostID, b.size)) {
        throw new UsageError(
          `overlapping ${flag} entries: host ids of "${fmt(a)}" and "${fmt(b)}"`,
        );
      }
    }
  }
}

function fmt(m: LinuxIDMapping): string {
  return `${m.containerID}:${m.hostID}:${m.size}`;
}

/**
 * The request of `--userns` / `--uidmap` / `--gidmap` (and the default,
 * `TSBOX_USERNS`, when no flag is given).
 * @throws {UsageError} bad syntax, overlaps, or conflicting flags.
 */
export function parseUserns(
  flags: { userns?: string; uidmap: string[]; gidmap: string[] },
  fallback?: string,
): UsernsRequest {
  if (flags.uidmap.length || flags.gidmap.length) {
    if (flags.userns !== undefined && flags.userns !== "") {
      throw new UsageError("--userns and --uidmap/--gidmap cannot be used together");
    }
    const uid = flags.uidmap.map((v) => parseIdMap("--uidmap", v));
    // podman: a lone --uidmap serves for the groups too (and the other way round)
    const gid = flags.gidmap.length ? flags.gidmap.map((v) => parseIdMap("--gidmap", v)) : uid;
    checkMaps("--uidmap", uid.length ? uid : gid);
    checkMaps("--gidmap", gid);
    return { mode: "map", uid: uid.length ? uid : gid, gid };
  }
  const v = flags.userns ?? fallback ?? "";
  if (v === "" || v === "host") return { mode: "host" };
  const auto = /^auto(?::size=(\d+))?$/.exec(v);
  if (auto) {
    const size = auto[1] === undefined ? AUTO_SIZE : Number(auto[1]);
    if (size < 1 || size > 2 ** 31) throw new UsageError(`invalid --userns "${v}": bad size`);
    return { mode: "auto", size };
  }
  throw new UsageError(`invalid --userns "${v}": expected host, auto or auto:size=N`);
}

/** The host id that container id `id` maps to, if mapped. */
export function hostIdOf(maps: LinuxIDMapping[], id: number): number | undefined {
  const m = maps.find((m) => id >= m.containerID && id < m.containerID + m.size);
  return m && m.hostID + (id - m.containerID);
}
