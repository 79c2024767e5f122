/**
 * `COPY --chown=user[:group]`: names resolved in the image's own
 * `/etc/passwd` and `/etc/group` (read from its unpacked layers, top
 * first), numbers taken as they are; a user without a group gets the
 * user's numeric id as gid, as docker documents.
 * @module
 */

import { join } from "../posix_path.ts";

/**
 * Numeric owner for `spec`.
 * @throws {Error} a name the image does not know.
 */
export function resolveOwner(spec: string, layerDirs: string[]): { uid: number; gid: number } {
  const [user, group] = spec.split(":", 2);
  const uid = lookup(user, "etc/passwd", layerDirs);
  const gid = group === undefined ? uid : lookup(group, "etc/group", layerDirs);
  return { uid, gid };
}

function lookup(name: string, file: string, layerDirs: string[]): number {
  if (/^\d+$/.test(name)) return Number(name);
  const text = readInImage(file, layerDirs);
  for (const line of (text ?? "").split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  const what = file === "etc/passwd" ? "user" : "group";
  throw new Error(`unable to find ${what} ${name}: no matching entries in /${file} of the image`);
}

/** The file's text from the topmost layer that has it (undefined when absent or deleted). */
function readInImage(rel: string, layerDirs: string[]): string | undefined {
  for (const dir of [...layerDirs].reverse()) {
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(join(dir, rel));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // not in this layer
      throw err;
    }
    if (!st.isFile) return undefined; // a whiteout, a symlink or a directory: no usable file
    return Deno.readTextFileSync(join(dir, rel));
  }
  return undefined;
}
