/**
 * The build cache: a step's result (an image id and its layers) under a
 * key made of the parent image id, the instruction after substitution (and
 * the build-arg environment of a RUN) and the digest of what COPY/ADD
 * copies. Entries live in the image store (`build-cache/<key>.json`) and GC
 * keeps their content, so intermediate image records can be deleted after
 * a build and a rebuild still finds every step.
 * @module
 */

import { join } from "../posix_path.ts";
import { createHash } from "node:crypto";
import { ImageError } from "../errors.ts";
import { readJsonIfExists, removeIfExists, writeJsonAtomic } from "../fsutil.ts";
import type { ImageStore } from "../image/store.ts";
import type { ImageRecord, ResolvedImage } from "../image/types.ts";

/** What a cache entry holds. */
type Entry = Pick<ImageRecord, "id" | "layers">;

/** The cache key of a step. */
export function cacheKey(parentId: string, text: string, content = ""): string {
  return createHash("sha256").update(`${parentId}\n${text}\n${content}`).digest("hex");
}

/** Lookups and saves against one store. */
export class BuildCache {
  constructor(private readonly store: ImageStore) {}

  #path(key: string): string {
    return join(this.store.layout.buildCacheDir, `${key}.json`);
  }

  /**
   * The image a step made before, recorded again in the store (untagged),
   * or undefined when there is none or its content is gone; `existed` says
   * whether the record was already there.
   */
  async lookup(key: string): Promise<{ image: ResolvedImage; existed: boolean } | undefined> {
    const e = readJsonIfExists<Entry>(this.#path(key));
    if (!e) return undefined;
    let config: Uint8Array;
    try {
      config = Deno.readFileSync(this.store.blobPath(e.id));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined; // pruned: a miss
      throw err;
    }
    const existed = this.store.record(e.id) !== undefined;
    try {
      const image = await this.store.commitImage({
        config,
        layers: e.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
        names: [],
      });
      return { image, existed };
    } catch (err) {
      // content removed by a prune meanwhile: rebuild the step
      if (err instanceof ImageError) return undefined;
      throw err;
    }
  }

  /** Remember that the step `key` made `image`. */
  save(key: string, image: ImageRecord): void {
    Deno.mkdirSync(this.store.layout.buildCacheDir, { recursive: true });
    writeJsonAtomic(this.#path(key), { id: image.id, layers: image.layers } satisfies Entry);
  }
}

/**
 * `builder prune`: forget every cache entry, then GC what no image uses.
 * @returns how many entries were dropped and the bytes GC reclaimed.
 */
export async function pruneBuildCache(
  store: ImageStore,
): Promise<{ entries: number; reclaimed: number }> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(store.layout.buildCacheDir)].map((e) => e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    names = []; // no build ever ran
  }
  const entries = names.filter((n) => n.endsWith(".json") && !n.startsWith("."));
  for (const n of entries) removeIfExists(join(store.layout.buildCacheDir, n));
  const gc = await store.gc();
  return { entries: entries.length, reclaimed: gc.reclaimed };
}
