/**
 * Mount specs from the command line and the image: `-v`, `--mount` and
 * `--tmpfs` parsed into `MountSpec`s, checked together (no two mounts on
 * one target), and the image's `VOLUME`s added as anonymous volumes where
 * no mount covers them. Pure: nothing is looked up or created here.
 * @module
 */

import { UsageError, VolumeError } from "../lib/errors.ts";
import { parseMountFlag } from "./parse_mount_flag.ts";
import { parseTmpfsFlag } from "./parse_tmpfs_flag.ts";
import { parseVolumeFlag } from "./parse_volume_flag.ts";
import { baseSpec, cleanPath, targetProblem } from "./spec_common.ts";
import type { MountSpec } from "./types.ts";

export type { MountSpec } from "./types.ts";

/** Raw flag values, in the order they were given. */
export interface RawMountFlags {
  /** `-v` / `--volume`. */
  volume: string[];
  /** `--mount`. */
  mount: string[];
  /** `--tmpfs`. */
  tmpfs: string[];
}

/**
 * Parse and validate every mount flag of one `run`/`create`.
 * @throws {UsageError} any invalid spec, or two mounts on one target
 *   (docker: "Duplicate mount point").
 */
export function parseMountFlags(raw: RawMountFlags): MountSpec[] {
  const specs = [
    ...raw.volume.map(parseVolumeFlag),
    ...raw.mount.map(parseMountFlag),
    ...raw.tmpfs.map(parseTmpfsFlag),
  ];
  const byTarget = new Map<string, MountSpec>();
  for (const s of specs) {
    const prev = byTarget.get(s.target);
    if (prev) {
      throw new UsageError(`Duplicate mount point: ${s.target}`, {
        hint: `'${prev.origin}' and '${s.origin}' both mount there`,
      });
    }
    byTarget.set(s.target, s);
  }
  return specs;
}

/**
 * Add the image's `VOLUME` paths (config.Volumes keys) as anonymous volumes,
 * except where a spec already mounts that exact target (docker's rule).
 * @throws {VolumeError} an image volume path that is relative or `/`.
 */
export function withImageVolumes(specs: MountSpec[], imageVolumes: string[]): MountSpec[] {
  const out = [...specs];
  const covered = new Set(specs.map((s) => s.target));
  for (const raw of imageVolumes) {
    const problem = targetProblem(raw);
    if (problem) throw new VolumeError(`invalid VOLUME "${raw}" in the image: ${problem}`);
    const target = cleanPath(raw);
    if (covered.has(target)) continue;
    covered.add(target);
    const s = baseSpec("volume", `image VOLUME ${raw}`);
    s.target = target;
    out.push(s);
  }
  return out;
}
