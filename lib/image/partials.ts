/**
 * Partial downloads (`image/partial/<hex>`): a pull keeps a cut-off blob
 * there to resume it, holding the blob's lock (`locks/blob-<hex>.lock`)
 * while it writes. A partial whose lock nobody holds belongs to no pull
 * and is removed by `image prune`/`system prune`.
 * @module
 */

import { join } from "../posix_path.ts";

/** The lock a pull holds while downloading blob `digest`. */
export function blobLockPath(lockDir: string, digest: string): string {
  return join(lockDir, `blob-${digest.replace(/^sha256:/, "")}.lock`);
}

/**
 * Remove every partial download no pull holds (each checked with a
 * non-blocking flock on its blob lock). Missing dirs are fine.
 * @returns the removed names and the bytes they took.
 */
export function sweepPartials(
  partialDir: string,
  lockDir: string,
): { removed: string[]; reclaimed: number } {
  const out = { removed: [] as string[], reclaimed: 0 };
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(partialDir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out; // nothing was ever pulled
    throw err;
  }
  Deno.mkdirSync(lockDir, { recursive: true });
  for (const e of entries) {
    if (!e.isFile || !/^[0-9a-f]{64}$/.test(e.name)) continue;
    const lock = Deno.openSync(blobLockPath(lockDir, e.name), {
      create: true,
      write: true,
      read: true,
    });
    try {
      if (!lock.tryLockSync(true)) continue; // a pull is writing it right now
      const path = join(partialDir, e.name);
      let size = 0;
      try {
        size = Deno.statSync(path).size;
        Deno.removeSync(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // its pull finished it meanwhile
        throw err;
      }
      out.removed.push(e.name);
      out.reclaimed += size;
    } finally {
      lock.close();
    }
  }
  return out;
}
