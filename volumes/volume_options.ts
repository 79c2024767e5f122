/**
 * Local-driver volume options (`volume create --opt`, `--mount
 * volume-opt=`): `type`, `device`, `o`, as docker's local driver takes
 * them. A volume with options is not a directory in the store but a mount
 * of `device` (a bind of a host dir, a tmpfs, an NFS export, …). Pure.
 * @module
 */

import { splitMountOptions } from "./mount_options.ts";
import { MS_BIND, MS_RDONLY } from "../ffi/consts.ts";

/** Option keys the local driver knows. */
const VALID = ["type", "device", "o"];
/** docker's mandatoryOpts: a key needs the others. */
const REQUIRES: Record<string, string[]> = {
  device: ["type"],
  type: ["device"],
  o: ["device", "type"],
};

/** Why `opts` are invalid for the local driver, or undefined when fine. */
export function validateVolumeOptions(opts: Record<string, string>): string | undefined {
  for (const k of Object.keys(opts)) {
    if (k === "size") return 'option "size" is not supported (it needs xfs project quotas)';
    if (!VALID.includes(k)) return `invalid option: "${k}" (valid: ${VALID.join(", ")})`;
  }
  for (const [k, needs] of Object.entries(REQUIRES)) {
    if (!(k in opts)) continue;
    for (const n of needs) if (!(n in opts)) return `missing required option: "${n}"`;
  }
  if ("type" in opts && opts.type === "") return 'option "type" must not be empty';
  return undefined;
}

/** How a volume with options is mounted; undefined for a plain store volume. */
export type VolumeMountKind =
  | { kind: "bind"; device: string; readOnly: boolean }
  | { kind: "fs"; type: string; device: string; options: string[] };

/** The mount a volume's options describe (`o=bind` → a bind of `device`). */
export function volumeMountKind(opts: Record<string, string>): VolumeMountKind | undefined {
  if (!opts.type) return undefined;
  const options = opts.o ? opts.o.split(",").filter((o) => o !== "") : [];
  const { flags } = splitMountOptions(options);
  if (flags & MS_BIND) {
    return { kind: "bind", device: opts.device, readOnly: (flags & MS_RDONLY) !== 0 };
  }
  return { kind: "fs", type: opts.type, device: opts.device, options };
}
