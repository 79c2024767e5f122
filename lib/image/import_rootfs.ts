/**
 * `import`: a plain rootfs tar (gzip, zstd or uncompressed) becomes a
 * single-layer image whose config is docker's empty one (no Cmd: running it
 * needs a command) plus any `--change` instructions.
 * @module
 */

import { ImageError } from "../errors.ts";
import { DigestCounter } from "./digest.ts";
import { ociLayerMediaType, readHead, sniffCompression } from "./decompress.ts";
import { importConfig } from "./config.ts";
import type { ImageStore } from "./store.ts";
import type { ImageConfig, ResolvedImage } from "./types.ts";
import { removeIfExists } from "../fsutil.ts";

/** Options of an import. */
export interface ImportOptions {
  /** Normalised names to tag (may be empty: the image is then untagged). */
  names: string[];
  /** Runtime config (from --change). */
  config: ImageConfig;
  /** History comment (docker: "Imported from -" or the message). */
  comment: string;
}

/**
 * Import the tar in `src`. On failure nothing stays in the store.
 * @throws {ImageError} empty input, not a tar, unsafe entries.
 */
export async function importRootfs(
  store: ImageStore,
  src: AsyncIterable<Uint8Array>,
  opts: ImportOptions,
): Promise<ResolvedImage> {
  Deno.mkdirSync(store.layout.blobDir, { recursive: true });
  const tmp = store.layout.temp(store.layout.blobDir);
  let ok = false;
  try {
    const counter = new DigestCounter();
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      for await (const chunk of src) {
        counter.update(chunk);
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    } finally {
      f.close();
    }
    if (counter.size === 0) throw new ImageError("import: the input is empty");
    const digest = counter.digest();
    const mediaType = ociLayerMediaType(sniffCompression(readHead(tmp)));
    if (!store.hasBlob(digest)) await store.adoptBlob(digest, tmp);
    const { diffId } = await store.unpackLayer(digest, mediaType);
    const image = await store.commitImage({
      config: importConfig(diffId, opts.config, opts.comment),
      layers: [{ digest, mediaType, size: counter.size }],
      names: opts.names,
    });
    ok = true;
    return image;
  } finally {
    removeIfExists(tmp);
    if (ok) store.close();
    else await store.discardUncommitted();
  }
}
