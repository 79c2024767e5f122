/**
 * Test utilities: snapshot a file tree (paths, types, modes, owners, link
 * targets, content hashes; no times) and view stored layer dirs merged
 * through a read-only overlay mount, the way the run path sees them.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { sh } from "../helpers/registry.ts";

/** path → one-line description of the entry. */
export type TreeSnapshot = Record<string, string>;

/** Describe every entry below `root` (root itself excluded). */
export function snapshotTree(root: string): TreeSnapshot {
  const out: TreeSnapshot = {};
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(join(root, rel))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const full = join(root, path);
      const st = Deno.lstatSync(full);
      const mode = ((st.mode ?? 0) & 0o7777).toString(8);
      const owner = `${st.uid}:${st.gid}`;
      if (st.isSymlink) out[path] = `symlink ${owner} -> ${Deno.readLinkSync(full)}`;
      else if (st.isDirectory) {
        out[path] = `dir ${mode} ${owner}`;
        walk(path);
      } else if (st.isFile) {
        const hash = createHash("sha256").update(Deno.readFileSync(full)).digest("hex").slice(
          0,
          16,
        );
        out[path] = `file ${mode} ${owner} ${st.size} ${hash}`;
      } else if (st.isCharDevice) out[path] = `char ${mode} ${owner} ${st.rdev}`;
      else if (st.isBlockDevice) out[path] = `block ${mode} ${owner} ${st.rdev}`;
      else if (st.isFifo) out[path] = `fifo ${mode} ${owner}`;
      else out[path] = `other ${mode} ${owner}`;
    }
  };
  walk("");
  return out;
}

/**
 * Mount `layerDirs` (bottom first) read-only as one overlay, call `fn` with
 * the merged dir, unmount in `finally`. Needs root.
 */
export async function withMergedLayers<T>(
  layerDirs: string[],
  fn: (merged: string) => T | Promise<T>,
): Promise<T> {
  if (layerDirs.length === 1) return await fn(layerDirs[0]);
  const merged = Deno.makeTempDirSync({ prefix: "tsbox-merged-" });
  try {
    const lower = [...layerDirs].reverse().join(":");
    await sh("mount", ["-t", "overlay", "overlay", "-o", `ro,lowerdir=${lower}`, merged]);
    try {
      return await fn(merged);
    } finally {
      await sh("umount", [merged]);
    }
  } finally {
    Deno.removeSync(merged);
  }
}

/** Files under `dir` (recursive, names relative), for "did anything appear" checks. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(dir, rel))];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return; // never created: nothing in it
      throw err;
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(path);
      else out.push(path);
    }
  };
  walk("");
  return out.sort();
}
