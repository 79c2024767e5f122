/**
 * The volume mount plan: a pure function turns PreparedMounts into ordered
 * steps (resolve/create target → copy-up → mount → read-only remount →
 * propagation), parents before children so `/data` is mounted before
 * `/data/sub` (docker sorts by path depth too). `mount.ts` executes it.
 * @module
 */

import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SHARED, MS_SLAVE } from "../ffi/consts.ts";
import { splitMountOptions } from "./mount_options.ts";
import type { PreparedMount, Propagation, TargetKind } from "./types.ts";

/** One step. `target` is always the container path (the apply step resolves it). */
export type MountStep =
  | { op: "target"; target: string; kind: TargetKind }
  | { op: "copyUp"; target: string; volumeDir: string; dataDir: string }
  | {
    op: "mount";
    target: string;
    source: string | null;
    fstype: string | null;
    flags: number;
    data: string | null;
  }
  | { op: "remountRo"; target: string }
  /** Attach the detached (idmapped) mount `fd` at the target (move_mount): `idmap` binds. */
  | { op: "attach"; target: string; fd: number }
  /** Remount with these flags: a bind's ro/nosuid/nodev/noexec (`bind`), or a whole fs. */
  | { op: "remount"; target: string; flags: number; bind: boolean }
  | { op: "propagation"; target: string; flags: number };

/** MS_* flags of a propagation mode. */
export const PROPAGATION_FLAGS: Record<Propagation, number> = {
  rprivate: MS_REC | MS_PRIVATE,
  private: MS_PRIVATE,
  rshared: MS_REC | MS_SHARED,
  shared: MS_SHARED,
  rslave: MS_REC | MS_SLAVE,
  slave: MS_SLAVE,
};

function depth(target: string): number {
  return target.split("/").filter((c) => c !== "").length;
}

function stepsOf(m: PreparedMount): MountStep[] {
  const target = m.target;
  const ro = m.readOnly ? MS_RDONLY : 0;
  if (m.type === "tmpfs") {
    const { flags, data } = splitMountOptions(m.tmpfsOptions ?? []);
    return [
      { op: "target", target, kind: "dir" },
      {
        op: "mount",
        target,
        source: "tmpfs",
        fstype: "tmpfs",
        flags: flags | ro,
        data: data || null,
      },
    ];
  }
  if (m.fs) {
    const { flags, data } = splitMountOptions(m.fs.options);
    return [
      { op: "target", target, kind: "dir" },
      {
        op: "mount",
        target,
        source: m.source,
        fstype: m.fs.type,
        flags: flags | ro,
        data: data || null,
      },
    ];
  }
  const steps: MountStep[] = [{ op: "target", target, kind: m.targetKind }];
  if (m.volume?.copyUp) {
    steps.push({ op: "copyUp", target, volumeDir: m.volume.dir, dataDir: m.source });
  }
  // MS_RDONLY is ignored on a bind's first mount(2): read-only needs the remount
  steps.push({
    op: "mount",
    target,
    source: m.source,
    fstype: null,
    flags: MS_BIND | MS_REC,
    data: null,
  });
  if (m.readOnly) steps.push({ op: "remountRo", target });
  steps.push({ op: "propagation", target, flags: PROPAGATION_FLAGS[m.propagation] });
  return steps;
}

/** Ordered steps for `mounts` (stable sort by target depth). Pure. */
export function mountPlan(mounts: PreparedMount[]): MountStep[] {
  return [...mounts].sort((a, b) => depth(a.target) - depth(b.target)).flatMap(stepsOf);
}
