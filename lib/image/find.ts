/**
 * Resolving a user's image reference to a stored record, as docker does:
 * a full id; else a name (normalised: `busybox` is
 * `docker.io/library/busybox:latest`) or `name@sha256:` repo digest; else
 * a unique id prefix. Lock-free: records and tags are replaced atomically.
 * @module
 */

import { ImageError, UsageError } from "../errors.ts";
import { formatReference, parseReference, repositoryOf } from "./reference.ts";
import { digestHex } from "./digest_name.ts";
import { readTags } from "./repositories.ts";
import { readRecordFile, readRecords } from "./gc.ts";
import type { StoreLayout } from "./store_layout.ts";
import type { ImageRecord } from "./types.ts";

/** A found image record and the name it was found by. */
export interface Found {
  record: ImageRecord;
  /** Normalised name, `repo@digest`, or the id. */
  ref: string;
  /** Addressed by id (or id prefix) rather than by a name. */
  byId: boolean;
}

/**
 * Find `ref`, or undefined.
 * @throws {UsageError} neither a valid name nor an id. @throws {ImageError} ambiguous id prefix.
 */
export function findImage(layout: StoreLayout, ref: string): Found | undefined {
  const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(ref);
  if (full) {
    const record = readRecordFile(layout.image(`sha256:${full[1]}`));
    return record && { record, ref: record.id, byId: true };
  }
  const isIdPrefix = /^(?:sha256:)?[a-f0-9]+$/.test(ref);
  let byName: Found | undefined;
  try {
    byName = findByName(layout, ref);
  } catch (err) {
    // a hex prefix like "sha256:ab" may not be a valid name; it can still be an id
    if (!(err instanceof UsageError && isIdPrefix)) throw err;
  }
  if (byName || !isIdPrefix) return byName;
  const prefix = ref.replace(/^sha256:/, "");
  const matches = readRecords(layout).filter((r) => digestHex(r.id).startsWith(prefix));
  if (matches.length > 1) {
    throw new ImageError(`image id prefix "${ref}" is ambiguous (${matches.length} images match)`);
  }
  return matches[0] && { record: matches[0], ref: matches[0].id, byId: true };
}

function findByName(layout: StoreLayout, ref: string): Found | undefined {
  const r = parseReference(ref);
  if (r.digest) {
    const want = `${repositoryOf(r)}@${r.digest}`;
    const record = readRecords(layout).find((x) => x.repoDigests.includes(want));
    return record && { record, ref: want, byId: false };
  }
  const name = formatReference(r);
  const id = readTags(layout)[name];
  const record = id ? readRecordFile(layout.image(id)) : undefined;
  return record && { record, ref: name, byId: false };
}
