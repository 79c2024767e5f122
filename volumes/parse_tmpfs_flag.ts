/**
 * `--tmpfs PATH[:OPTIONS]`: kernel tmpfs options after docker's defaults
 * (`noexec,nosuid,nodev`; a later `exec` wins). Options are validated here
 * so a typo fails before anything is created. Pure.
 * @module
 */

import { UsageError } from "../lib/errors.ts";
import { tmpfsOptionProblem } from "./mount_options.ts";
import { baseSpec, cleanPath, targetProblem } from "./spec_common.ts";
import type { MountSpec } from "./types.ts";

/** docker's default flags for `--tmpfs`. */
export const TMPFS_FLAG_DEFAULTS = ["noexec", "nosuid", "nodev"];

/**
 * Parse one `--tmpfs` value.
 * @throws {UsageError} relative or `/` path, empty or unknown option.
 */
export function parseTmpfsFlag(raw: string): MountSpec {
  const bad = (why: string) => new UsageError(`invalid --tmpfs '${raw}': ${why}`);
  const colon = raw.indexOf(":");
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const opts = colon < 0 ? [] : raw.slice(colon + 1).split(",");
  if (target === "") throw bad("empty path");
  const tp = targetProblem(target);
  if (tp) throw bad(tp);
  for (const o of opts) {
    if (o === "") throw bad("empty option");
    const p = tmpfsOptionProblem(o);
    if (p) throw bad(p);
  }
  const spec = baseSpec("tmpfs", `--tmpfs ${raw}`);
  spec.target = cleanPath(target);
  spec.tmpfsOptions = [...TMPFS_FLAG_DEFAULTS, ...opts];
  spec.readOnly = opts.lastIndexOf("ro") > opts.lastIndexOf("rw");
  return spec;
}
