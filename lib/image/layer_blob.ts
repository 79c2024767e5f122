/**
 * One layer blob from a directory in overlay form: the deterministic tar of
 * layer_pack.ts, gzip-compressed, written into the store (shared by
 * `commit` and `build`).
 * @module
 */

import { createGzip } from "node:zlib";
import { DigestCounter } from "./digest.ts";
import { walkLayerDir } from "./layer_walk.ts";
import { packLayer } from "./layer_pack.ts";
import type { ImageStore } from "./store.ts";
import type { LayerRecord } from "./types.ts";

const DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

/** The media type of a new gzip layer on `base`: docker's when all base layers are docker's. */
export function layerMediaType(base: Pick<LayerRecord, "mediaType">[]): string {
  const docker = base.length > 0 &&
    base.every((l) => l.mediaType.startsWith("application/vnd.docker."));
  return docker ? DOCKER_GZIP : OCI_GZIP;
}

/**
 * Walk + pack + gzip an overlay-form directory (a container's upper dir, a
 * build's staging dir) into a layer blob in the store, leaving out the
 * paths in `exclude`; returns the blob digest, its size and the diff id.
 * Needs root (reading `trusted.*` xattrs).
 * @throws whatever walking, packing or storing throws (the temp blob is removed).
 */
export async function writeLayerBlob(
  store: ImageStore,
  upper: string,
  exclude: ReadonlySet<string> = new Set(),
): Promise<{ digest: string; size: number; diffId: string }> {
  // a temp in the blob dir: same filesystem for the rename, and GC removes it if we die
  const dir = store.layout.blobDir;
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = store.layout.temp(dir);
  const tarSum = new DigestCounter();
  const blobSum = new DigestCounter();
  const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    const gzip = createGzip({ level: 6 });
    const written = (async () => {
      for await (const chunk of gzip as AsyncIterable<Uint8Array>) {
        blobSum.update(chunk);
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    })();
    await packLayer(walkLayerDir(upper, { exclude }), async (chunk) => {
      tarSum.update(chunk);
      if (!gzip.write(chunk)) await new Promise((r) => gzip.once("drain", r));
    });
    gzip.end();
    await written;
    f.close();
    const digest = blobSum.digest();
    await store.adoptBlob(digest, tmp);
    return { digest, size: blobSum.size, diffId: tarSum.digest() };
  } catch (err) {
    try {
      f.close();
    } catch (closeErr) {
      // closed before the failure
      if (!(closeErr instanceof Deno.errors.BadResource)) throw closeErr;
    }
    try {
      Deno.removeSync(tmp);
    } catch (rmErr) {
      // adopted or never created
      if (!(rmErr instanceof Deno.errors.NotFound)) throw rmErr;
    }
    throw err;
  }
}
