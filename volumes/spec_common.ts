/**
 * Helpers shared by the three mount flag parsers: container path cleaning
 * and validation (absolute, never `/`) and a MountSpec with defaults. Pure.
 * @module
 */

import * as posix from "../lib/posix_path.ts";
import type { MountSpec, MountType } from "./types.ts";

/** Lexically clean an absolute path (`/a//b/../c/` → `/a/c`), as Go's path.Clean. */
export function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/**
 * Why `target` is not a usable container path, or undefined when it is.
 * docker's wording: relative paths and `/` are refused.
 */
export function targetProblem(target: string): string | undefined {
  if (!target.startsWith("/")) return `invalid mount path: '${target}' mount path must be absolute`;
  if (cleanPath(target) === "/") return "destination can't be '/'";
  if (target.includes("\0")) return "mount path contains a NUL byte";
  return undefined;
}

/** A spec with docker's defaults (rw, rprivate, copy-up on). */
export function baseSpec(type: MountType, origin: string): MountSpec {
  return {
    type,
    source: "",
    target: "",
    readOnly: false,
    propagation: "rprivate",
    noCopy: false,
    createSource: false,
    labels: {},
    options: {},
    tmpfsOptions: [],
    origin,
  };
}

/** Split `K=V` (a bare `K` means an empty value, as docker's labels). */
export function splitKeyValue(s: string): [string, string] {
  const eq = s.indexOf("=");
  return eq < 0 ? [s, ""] : [s.slice(0, eq), s.slice(eq + 1)];
}
