/**
 * Reading an image out of the store without the store's writing half
 * (blob hashing, layer unpacking, GC): what `run`/`create` need when the
 * image is present. `ImageStore.lookup` and `configOf` are these. Lock-free,
 * no privileges.
 * @module
 */

import type { Paths } from "../paths.ts";
import { ImageError } from "../errors.ts";
import { parseImageConfig } from "./config.ts";
import { findImage } from "./find.ts";
import { StoreLayout } from "./store_layout.ts";
import type { ImageRecord, OciImageConfig, ResolvedImage } from "./types.ts";

/**
 * The full config document of image `id`.
 * @throws {ImageError} missing/corrupt config blob.
 */
export function readImageConfig(layout: StoreLayout, id: string): OciImageConfig {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(layout.blob(id));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ImageError(`config blob of image ${id} is missing from the store`);
    }
    throw err;
  }
  return parseImageConfig(bytes, id);
}

/** A record as `run` uses it: its config and layer dirs. @throws as `readImageConfig`. */
export function resolveRecord(
  layout: StoreLayout,
  record: ImageRecord,
  ref: string,
): ResolvedImage {
  const config = readImageConfig(layout, record.id);
  return {
    id: record.id,
    ref,
    config: config.config ?? {},
    layerDirs: record.layers.map((l) => layout.layer(l.diffId)),
  };
}

/**
 * Find an image by name (`busybox` → `docker.io/library/busybox:latest`),
 * `name@sha256:` repo digest, full id or unique id prefix.
 * @throws {UsageError} invalid reference. @throws {ImageError} ambiguous id prefix, missing config.
 */
export function lookupImage(paths: Paths, ref: string): ResolvedImage | undefined {
  const layout = new StoreLayout(paths);
  const f = findImage(layout, ref);
  return f && resolveRecord(layout, f.record, f.ref);
}
