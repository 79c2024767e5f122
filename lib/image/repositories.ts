/**
 * The tag index `repositories.json`: normalised `name:tag` → image id.
 * Reads are lock-free (the file is replaced atomically); read-modify-write
 * happens only under the store lock (see store.ts).
 * @module
 */

import { readJsonIfExists, writeJsonAtomic } from "../fsutil.ts";
import { ImageError } from "../errors.ts";
import type { StoreLayout } from "./store_layout.ts";

/** Tag → image id. */
export type TagIndex = Record<string, string>;

interface RepositoriesFile {
  tags: TagIndex;
}

/** Current tag index (empty when none was written yet). */
export function readTags(layout: StoreLayout): TagIndex {
  const f = readJsonIfExists<RepositoriesFile>(layout.repositories);
  if (f === undefined) return {};
  if (!f || typeof f.tags !== "object") {
    throw new ImageError(`corrupt tag index ${layout.repositories}`);
  }
  return { ...f.tags };
}

/** Replace the tag index atomically (caller holds the store lock). */
export function writeTags(layout: StoreLayout, tags: TagIndex): void {
  const sorted = Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)));
  writeJsonAtomic(layout.repositories, { tags: sorted } satisfies RepositoriesFile);
}

/** Tags pointing at `id`, sorted. */
export function tagsOf(tags: TagIndex, id: string): string[] {
  return Object.entries(tags).filter(([, v]) => v === id).map(([k]) => k).sort();
}
