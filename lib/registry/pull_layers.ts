/**
 * The layer half of a pull: download each layer blob (bounded parallelism,
 * skipping blobs the store has), unpack it as soon as it is stored, and
 * check the unpacked diff id against the image config.
 * Needs write access to the state root.
 * @module
 */

import { ImageError, TsboxError } from "../errors.ts";
import { type BlobSink, downloadBlob } from "./blob_download.ts";
import type { RegistryClient } from "./client.ts";
import type { Descriptor } from "./manifest.ts";
import { runBounded } from "./pool.ts";
import type { PullProgress } from "./progress.ts";

/** The part of the image store layer pulling needs. */
export interface LayerSink extends BlobSink {
  unpackLayer(blobDigest: string, mediaType: string): Promise<{ diffId: string; dir: string }>;
}

/** Options of `pullLayers`. */
export interface PullLayersOptions {
  /** Lock directory (per-blob download locks). */
  lockDir: string;
  /** Parallel downloads. */
  concurrency: number;
  /** Progress reporter. */
  progress: PullProgress;
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
  const result = await downloadBlob(client, store, layer, {
    lockDir: opts.lockDir,
    signal,
    onProgress: (done) => progress.bytes(layer.digest, done),
    onRetry: (_err, _n, delay) =>
      progress.status(layer.digest, `Retrying in ${Math.ceil(delay / 1000)} seconds`),
  });
  if (result.status === "downloaded") progress.status(layer.digest, "Download complete");
  if (signal.aborted) return;
  if (result.status === "downloaded") progress.status(layer.digest, "Extracting");
  const got = (await store.unpackLayer(layer.digest, layer.mediaType)).diffId;
  if (got !== diffId) {
    throw new ImageError(
      `layer ${layer.digest} unpacks to ${got}, but the image config expects ${diffId}`,
    );
  }
  if (result.status === "downloaded") progress.status(layer.digest, "Pull complete");
}
