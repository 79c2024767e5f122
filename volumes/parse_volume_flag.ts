/**
 * `-v` / `--volume`: `HOST_ABS:CTR[:OPTS]` (bind), `NAME:CTR[:OPTS]` (named
 * volume), `CTR` (anonymous volume). Follows moby's linuxParser.ParseMountRaw
 * and its mode rules; errors keep docker's "invalid volume specification"
 * wording and add the precise reason. Pure.
 * @module
 */

import { UsageError } from "../lib/errors.ts";
import { invalidVolumeNameMessage, isValidVolumeName } from "./names.ts";
import { baseSpec, cleanPath, targetProblem } from "./spec_common.ts";
import { type MountSpec, type Propagation, PROPAGATIONS } from "./types.ts";

/** Option groups: at most one option of each group (`ro,rw` conflict). */
const MODE_GROUPS: Record<string, readonly string[]> = {
  access: ["ro", "rw"],
  // SELinux relabel: accepted for compatibility; tsbox has no SELinux labelling to do
  label: ["z", "Z"],
  propagation: PROPAGATIONS,
  copy: ["nocopy"],
  // podman: show the source's owners through the container's id maps (a user namespace)
  idmap: ["idmap"],
  // docker-for-mac consistency hints, no-ops on Linux in docker too
  consistency: ["consistent", "cached", "delegated"],
};

function groupOf(opt: string): string | undefined {
  return Object.keys(MODE_GROUPS).find((g) => MODE_GROUPS[g].includes(opt));
}

/** True when every comma-separated part of `mode` is a known option. */
function looksLikeMode(mode: string): boolean {
  return mode.split(",").every((o) => groupOf(o) !== undefined);
}

/**
 * Parse one `-v` value.
 * @throws {UsageError} empty parts, too many colons, relative or `/` target,
 *   invalid volume name, unknown / conflicting / misplaced options.
 */
export function parseVolumeFlag(raw: string): MountSpec {
  const bad = (why: string) => new UsageError(`invalid volume specification: '${raw}': ${why}`);
  const parts = raw.split(":");
  if (parts.some((p) => p === "")) throw bad("empty part (expected [SOURCE:]TARGET[:OPTIONS])");
  let source = "", target: string, mode = "";
  if (parts.length === 1) target = parts[0];
  else if (parts.length === 2) {
    // `/path:ro` would be an anonymous volume with options: docker refuses it too
    if (looksLikeMode(parts[1])) {
      throw bad("an anonymous volume takes no options (use NAME:TARGET:OPTIONS)");
    }
    [source, target] = parts;
  } else if (parts.length === 3) [source, target, mode] = parts;
  else throw bad("too many colons (expected [SOURCE:]TARGET[:OPTIONS])");

  const tp = targetProblem(target);
  if (tp) throw bad(tp);

  const seen = new Map<string, string>();
  for (const opt of mode ? mode.split(",") : []) {
    const g = groupOf(opt);
    if (!g) {
      throw bad(
        `unknown option "${opt}" (valid: ro, rw, nocopy, idmap, ${PROPAGATIONS.join(", ")}, z, Z)`,
      );
    }
    const prev = seen.get(g);
    if (prev !== undefined) {
      throw bad(
        prev === opt ? `option "${opt}" given twice` : `conflicting options "${prev}" and "${opt}"`,
      );
    }
    seen.set(g, opt);
  }

  const isBind = source.startsWith("/");
  const spec = baseSpec(isBind ? "bind" : "volume", `-v ${raw}`);
  spec.target = cleanPath(target);
  spec.readOnly = seen.get("access") === "ro";
  spec.noCopy = seen.has("copy");
  if (seen.has("idmap")) spec.idmap = true;
  const prop = seen.get("propagation") as Propagation | undefined;
  if (isBind) {
    if (spec.noCopy) throw bad('option "nocopy" is only valid for volumes');
    spec.source = cleanPath(source);
    spec.createSource = true; // docker -v creates a missing host dir
    if (prop) spec.propagation = prop;
  } else {
    if (prop) throw bad(`propagation "${prop}" is only valid for bind mounts`);
    if (source !== "" && !isValidVolumeName(source)) throw bad(invalidVolumeNameMessage(source));
    spec.source = source;
  }
  return spec;
}
