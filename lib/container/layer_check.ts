/**
 * Before a container is created or started: every unpacked layer its
 * overlay will stack must exist, or the failure would surface as a bare
 * "mount …/merged: no such file or directory" from inside the init.
 * @module
 */

import { basename } from "../posix_path.ts";
import { ImageError } from "../errors.ts";

/**
 * Check that each of `layerDirs` (of image `ref`) is a directory.
 * @throws {ImageError} a layer is missing: names it and how to repair the image.
 */
export function assertLayersPresent(ref: string, layerDirs: string[]): void {
  for (const dir of layerDirs) {
    let ok = false;
    try {
      ok = Deno.statSync(dir).isDirectory;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (!ok) {
      throw new ImageError(
        `image ${ref}: unpacked layer ${basename(dir)} is missing from the image store (${dir})`,
        { hint: `remove the image (tsbox rmi -f ${ref}) and pull or load it again` },
      );
    }
  }
}
