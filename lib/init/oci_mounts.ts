/**
 * OCI `mounts[]` → steps of the one mount engine (volumes/mount.ts): every
 * target is resolved inside the rootfs, created if missing, pinned with
 * openat2 and mounted through /proc/self/fd (runc's mountToRootfs +
 * createOpenMountpoint). Pure: the source kinds come from a callback.
 *
 * - `bind` (or a `bind`/`rbind` option): the source is a host path
 *   (relative to the bundle); a file source gets a file target. Flags a
 *   bind cannot take on its first mount (ro, nosuid, nodev, noexec) are a
 *   remount; propagation options are their own step.
 * - `cgroup`: the container's own cgroup dirs under a tmpfs (v1: one bind
 *   per hierarchy), or the one dir (v2); read-only unless asked otherwise.
 * - anything else: a fresh filesystem of that type with the data options.
 * @module
 */

import { isAbsolute, join } from "../posix_path.ts";
import type { Mount } from "../oci/spec.ts";
import type { MountStep } from "../../volumes/mount_plan.ts";
import type { TargetKind } from "../../volumes/types.ts";
import { splitMountOptions } from "../../volumes/mount_options.ts";
import {
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_SHARED,
  MS_SLAVE,
  MS_UNBINDABLE,
} from "../../ffi/consts.ts";

/** Propagation option names (mount options and `linux.rootfsPropagation`) → MS_* flags. */
export const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_REC | MS_PRIVATE,
  shared: MS_SHARED,
  rshared: MS_REC | MS_SHARED,
  slave: MS_SLAVE,
  rslave: MS_REC | MS_SLAVE,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_REC | MS_UNBINDABLE,
};

/** Flags a bind mount only takes through a remount. */
const BIND_REMOUNT = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/** What the plan needs besides the mounts. */
export interface OciMountContext {
  /** Relative bind sources are relative to it. */
  bundle: string;
  /** The container's cgroup dirs (host paths) and where each appears. */
  cgroupMounts: { source: string; target: string }[];
  /** Volumes to fill from the image before their bind (tsbox's pre-start step). */
  copyUps: { target: string; volumeDir: string; dataDir: string }[];
  /** `idmap` binds: the parent's idmapped copy of the source (fd), by index in `mounts`. */
  idmapped?: ReadonlyMap<number, number>;
  /** Whether a bind source is a file or a directory. */
  sourceKind: (path: string) => TargetKind;
}

/** Steps for `mounts`, in their order. Pure. */
export function ociMountPlan(mounts: readonly Mount[], c: OciMountContext): MountStep[] {
  return mounts.flatMap((m, i) => stepsOf(m, c, c.idmapped?.get(i)));
}

/** The OCI mount options that ask for an idmapped bind (runtime-spec 1.2). */
export const IDMAP_OPTIONS = ["idmap", "ridmap"];

function stepsOf(m: Mount, c: OciMountContext, idmapped?: number): MountStep[] {
  const target = m.destination;
  const opts = (m.options ?? []).filter((o) => !IDMAP_OPTIONS.includes(o));
  const propagation = opts.filter((o) => Object.hasOwn(PROPAGATION, o)).map((o) => PROPAGATION[o]);
  const { flags, data } = splitMountOptions(opts.filter((o) => !Object.hasOwn(PROPAGATION, o)));
  const tail: MountStep[] = propagation.map((f) => ({ op: "propagation", target, flags: f }));
  if (m.type === "cgroup" || m.type === "cgroup2") return [...cgroupSteps(m, flags, c), ...tail];
  if (m.type === "bind" || (flags & MS_BIND)) {
    const source = isAbsolute(m.source ?? "") ? m.source! : join(c.bundle, m.source ?? "");
    const steps: MountStep[] = [{ op: "target", target, kind: c.sourceKind(source) }];
    for (const u of c.copyUps) if (u.target === target) steps.push({ op: "copyUp", ...u });
    steps.push(
      idmapped !== undefined ? { op: "attach", target, fd: idmapped } : {
        op: "mount",
        target,
        source,
        fstype: null,
        flags: MS_BIND | (flags & MS_REC),
        data: null,
      },
    );
    if (flags & BIND_REMOUNT) {
      steps.push({ op: "remount", target, flags: flags & BIND_REMOUNT, bind: true });
    }
    return [...steps, ...tail];
  }
  return [
    { op: "target", target, kind: "dir" },
    {
      op: "mount",
      target,
      source: m.source ?? m.type ?? "none",
      fstype: m.type ?? null,
      flags,
      data: data || null,
    },
    ...tail,
  ];
}

/** The container's own cgroups at `m.destination` (runc's v1 layout; v2: one bind). */
function cgroupSteps(m: Mount, flags: number, c: OciMountContext): MountStep[] {
  const top = m.destination;
  if (c.cgroupMounts.length === 0) return [];
  const bindFlags = (flags & BIND_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const binds = c.cgroupMounts.map((x) => ({
    source: x.source,
    target: x.target === "/sys/fs/cgroup" ? top : join(top, x.target.split("/").pop()!),
  }));
  const steps: MountStep[] = [{ op: "target", target: top, kind: "dir" }];
  const single = binds.length === 1 && binds[0].target === top;
  if (!single) {
    const fsFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    steps.push({
      op: "mount",
      target: top,
      source: "tmpfs",
      fstype: "tmpfs",
      flags: fsFlags,
      data: "mode=755",
    });
  }
  for (const b of binds) {
    if (b.target !== top) steps.push({ op: "target", target: b.target, kind: "dir" });
    steps.push(
      {
        op: "mount",
        target: b.target,
        source: b.source,
        fstype: null,
        flags: MS_BIND | MS_REC,
        data: null,
      },
      { op: "remount", target: b.target, flags: bindFlags, bind: true },
    );
  }
  if (!single && (flags & MS_RDONLY)) {
    steps.push({
      op: "remount",
      target: top,
      flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      bind: false,
    });
  }
  return steps;
}
