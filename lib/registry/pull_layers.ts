/**
 * The layer half of a pull: download each layer blob (bounded parallelism,
 * skipping blobs the store has) and unpack it in the same pass — the bytes
 * go to the partial file and, as they arrive, through decompression and
 * the diff-id hash into the layer's temp dir, which becomes the layer only
 * once the blob is verified and stored. A download that resumes an earlier
 * partial file (or was finished by another pull) is unpacked from the
 * stored blob afterwards. The diff id is checked against the image config.
 * Needs write access to the state root (root, for the unpack).
 * @module
 */

import { ImageError, TsboxError } from "../errors.ts";
import type { StreamingLayer } from "../image/store.ts";
import type { UnpackPool } from "../image/unpack_pool.ts";
import { type BlobSink, downloadBlob, type DownloadTee } from "./blob_download.ts";
import type { RegistryClient } from "./client.ts";
import type { Descriptor } from "./manifest.ts";
import { runBounded } from "./pool.ts";
import type { PullProgress } from "./progress.ts";

/** The part of the image store layer pulling needs. */
export interface LayerSink extends BlobSink {
  unpackLayer(blobDigest: string, mediaType: string): Promise<{ diffId: string; dir: string }>;
  unpackedLayer(blobDigest: string): { diffId: string; dir: string } | undefined;
  streamLayer(blobDigest: string, mediaType: string, pool?: UnpackPool): StreamingLayer;
}

/** Options of `pullLayers`. */
export interface PullLayersOptions {
  /** Lock directory (per-blob download locks). */
  lockDir: string;
  /** Parallel downloads. */
  concurrency: number;
  /** Progress reporter. */
  progress: PullProgress;
  /** Workers for the extraction (else it runs on this thread). */
  pool?: UnpackPool;
}

/**
 * Make every layer present and unpacked.
 * @throws {ImageError} the first failing layer's error (naming its digest); running downloads are cancelled.
 */
export async function pullLayers(
  client: RegistryClient,
  store: LayerSink,
  layers: Descriptor[],
  diffIds: string[],
  opts: PullLayersOptions,
): Promise<void> {
  const { progress } = opts;
  for (const l of layers) {
    progress.status(
      l.digest,
      (await store.hasBlob(l.digest)) ? "Already exists" : "Pulling fs layer",
      l.size,
    );
  }
  await runBounded(
    layers,
    opts.concurrency,
    (layer, i, signal) =>
      pullLayer(client, store, layer, diffIds[i], opts, signal).catch((err) => {
        // a bare system error (a full disk while storing or unpacking) names its layer
        if (err instanceof TsboxError || !(err instanceof Error)) throw err;
        throw new ImageError(`storing layer ${layer.digest} failed`, { cause: err });
      }),
  );
}

/** Download (or find) one layer and unpack it. */
async function pullLayer(
  client: RegistryClient,
  store: LayerSink,
  layer: Descriptor,
  diffId: string,
  opts: PullLayersOptions,
  signal: AbortSignal,
): Promise<void> {
  const { progress } = opts;
  // unpack while downloading, unless there is nothing to download or the layer exists
  const tee = (await store.hasBlob(layer.digest)) || store.unpackedLayer(layer.digest)
    ? undefined
    : new LayerTee(store.streamLayer(layer.digest, layer.mediaType, opts.pool));
  let got: string;
  let fresh = false;
  try {
    const result = await downloadBlob(client, store, layer, {
      lockDir: opts.lockDir,
      signal,
      tee,
      onProgress: (done) => progress.bytes(layer.digest, done),
      onRetry: (_err, _n, delay) =>
        progress.status(layer.digest, `Retrying in ${Math.ceil(delay / 1000)} seconds`),
    });
    if (result.status === "downloaded") progress.status(layer.digest, "Download complete");
    if (signal.aborted) return;
    fresh = result.status === "downloaded";
    if (fresh) progress.status(layer.digest, "Extracting");
    if (tee?.complete(layer.size)) got = (await tee.layer.commit()).diffId;
    else {
      await tee?.layer.discard();
      got = (await store.unpackLayer(layer.digest, layer.mediaType)).diffId;
    }
  } finally {
    await tee?.layer.discard();
  }
  if (got !== diffId) {
    throw new ImageError(
      `layer ${layer.digest} unpacks to ${got}, but the image config expects ${diffId}`,
    );
  }
  if (fresh) progress.status(layer.digest, "Pull complete");
}

/**
 * Feeds a download's bytes to a streaming layer unpack. A failure of the
 * unpack (corrupt data, an unsafe entry, a full disk) stops feeding but
 * not the download: the layer is then unpacked from the stored blob, which
 * reports the same error from the one place layers are unpacked.
 */
class LayerTee implements DownloadTee {
  fed = 0;
  #valid = true;

  constructor(readonly layer: StreamingLayer) {}

  write(chunk: Uint8Array): Promise<void> | undefined {
    if (!this.#valid) return;
    this.fed += chunk.length;
    try {
      return this.layer.write(chunk)?.catch(() => this.invalidate());
    } catch (err) {
      // any unpack failure: stop feeding; unpacking the stored blob reports it (see above)
      void err;
      this.invalidate();
    }
  }

  invalidate(): void {
    this.#valid = false;
  }

  /** True when every byte of the blob went through. */
  complete(size: number): boolean {
    return this.#valid && this.fed === size;
  }
}
