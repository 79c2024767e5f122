/**
 * Look a path up in a stack of overlay-form layer dirs (top first) as the
 * merged view would show it, honouring whiteouts and opaque directories;
 * a symlink or file in a parent position ends the lookup (never followed).
 * For `diff`. Reads only tsbox's own unpacked layers; needs root for
 * `trusted.overlay.opaque`.
 * @module
 */

import { join } from "../posix_path.ts";
import { lgetxattr } from "../../ffi/xattr.ts";

function lstat(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // not in this layer
    throw err;
  }
}

/** The merged stat of `rel` (`etc/passwd`) in `layers`, or undefined when absent. */
export function mergedStat(layers: string[], rel: string): Deno.FileInfo | undefined {
  const comps = rel.split("/").filter(Boolean);
  for (const layer of layers) {
    let hidden = false;
    for (let i = 1; i <= comps.length; i++) {
      const p = join(layer, ...comps.slice(0, i));
      const st = lstat(p);
      if (!st) break;
      if (st.isCharDevice && (st.rdev ?? 0) === 0) return undefined; // whiteout
      if (i === comps.length) return st;
      if (!st.isDirectory) return undefined; // a file or symlink replaces the parent
      for (const x of ["trusted.overlay.opaque", "user.overlay.opaque"]) {
        const opaque = lgetxattr(p, x);
        if (opaque && new TextDecoder().decode(opaque) === "y") hidden = true;
      }
    }
    if (hidden) return undefined; // an opaque parent hides the layers below
  }
  return undefined;
}
