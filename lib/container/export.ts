/**
 * `exportContainer`: a container's filesystem as one flat tar (its upper
 * dir over its image layers, whiteouts applied), as `docker export` makes
 * it; volumes are not included. Needs root (upper dirs are root-owned).
 * @module
 */

import type { ContainerRecord } from "./store.ts";
import { walkMerged } from "../image/merged_walk.ts";
import { packLayer } from "../image/layer_pack.ts";

/** Stream the flattened tar of `rec` to `sink`. */
export async function exportContainer(
  rec: ContainerRecord,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const dirs = [`${rec.dir}/upper`, ...[...rec.config.image.layerDirs].reverse()];
  await packLayer(walkMerged(dirs), sink);
}
