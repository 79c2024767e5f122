/**
 * `cp` argument parsing and docker's destination rules, pure:
 * `CONTAINER:PATH` vs host paths vs `-`; where the copied tree lands
 * (into an existing directory under its own name, in place of a missing or
 * file destination under the destination's name, or — for `SRC/.` — its
 * contents into the directory), and docker's errors for the other cases.
 * @module
 */

import * as posix from "../posix_path.ts";
import { UsageError } from "../errors.ts";

/** One side of a copy. */
export type CopyEnd =
  | { kind: "container"; container: string; path: string }
  | { kind: "host"; path: string }
  | { kind: "stream" };

/**
 * Parse a `cp` operand: `-`, `CONTAINER:PATH`, or a host path (anything
 * with a `/` before the first `:` is a host path, as in docker).
 */
export function parseCopyEnd(arg: string): CopyEnd {
  if (arg === "-") return { kind: "stream" };
  const colon = arg.indexOf(":");
  if (colon > 0 && !arg.slice(0, colon).includes("/")) {
    const path = arg.slice(colon + 1);
    return { kind: "container", container: arg.slice(0, colon), path: path || "/" };
  }
  return { kind: "host", path: arg };
}

/** What the source is, as found. */
export interface SourceInfo {
  /** Name of the top entry in the archive (the source's base name). */
  base: string;
  isDir: boolean;
}

/** What the destination is, as found (`exists: false` when missing). */
export interface DestInfo {
  exists: boolean;
  isDir: boolean;
  /** The parent exists and is a directory (needed when `exists` is false). */
  parentIsDir: boolean;
}

/** Where to extract: into `dir`, with the archive's top entry renamed to `name` ("" = its contents). */
export interface CopyTarget {
  dir: string;
  name: string;
}

/** A docker copy rule violation (exit 1). */
export class CopyError extends UsageError {
  constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = "CopyError";
  }
}

/**
 * Apply docker's rules.
 * @param srcPath the source as typed (a trailing `/` or `/.` matters).
 * @param destPath the destination as typed (a trailing `/` matters).
 * @throws {CopyError} no such directory, not a directory, cannot copy directory.
 */
export function copyTarget(
  srcPath: string,
  src: SourceInfo,
  destPath: string,
  dest: DestInfo,
): CopyTarget {
  const srcSlash = srcPath.endsWith("/") || srcPath.endsWith("/.");
  if (srcSlash && !src.isDir) throw new CopyError(`not a directory: ${srcPath}`);
  const contentsOnly = src.isDir && (srcPath.endsWith("/.") || srcPath === ".");
  const clean = posix.normalize(destPath.replace(/\/+$/, "") || "/");
  const parent = posix.dirname(clean);
  const name = posix.basename(clean);
  if (dest.exists && dest.isDir) return { dir: clean, name: contentsOnly ? "" : src.base };
  if (dest.exists) {
    if (src.isDir) throw new CopyError(`cannot copy directory to a file: ${destPath}`);
    if (destPath.endsWith("/")) throw new CopyError(`not a directory: ${destPath}`);
    return { dir: parent, name };
  }
  if (destPath.endsWith("/") && !src.isDir) {
    throw new CopyError(`no such directory: ${destPath}`);
  }
  if (!dest.parentIsDir) throw new CopyError(`no such directory: ${parent}`);
  return { dir: parent, name };
}

/** The base name an archive of `path` starts with (`/` → `.`). */
export function sourceBase(path: string): string {
  const clean = posix.normalize(path.replace(/\/\.$/, "").replace(/\/+$/, "") || "/");
  return clean === "/" ? "." : posix.basename(clean);
}
