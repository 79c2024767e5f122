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
  let f: RepositoriesFile | undefined;
  try {
    f = readJsonIfExists<RepositoriesFile>(layout.repositories);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw corruptIndex(layout.repositories, err.message);
  }
  if (f === undefined) return {};
  if (!f || typeof f.tags !== "object" || f.tags === null) {
    throw corruptIndex(layout.repositories, "not a tag index");
  }
  return { ...f.tags };
}

// Not skipped like a corrupt record: without the index every image would look dangling
function corruptIndex(file: string, reason: string): ImageError {
  return new ImageError(`corrupt tag index ${file}: ${reason}`, {
    path: file,
    hint: `restore it, or remove it to keep the images untagged (tag them again with tsbox tag)`,
  });
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
