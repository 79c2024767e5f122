/**
 * Digest names: checking `sha256:<hex>` and taking it apart. Pure, and
 * apart from the hashing in digest.ts so that reading the image store
 * (`run` looks an image up) does not load node:crypto.
 * @module
 */

import { ImageError } from "../errors.ts";

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True for a well-formed `sha256:<64 hex>` digest. */
export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/**
 * The hex part of a digest.
 * @throws {ImageError} not a `sha256:<64 hex>` digest.
 */
export function digestHex(digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new ImageError(`unsupported or malformed digest "${digest}"`, {
      hint: "only sha256 digests are supported",
    });
  }
  return digest.slice(7);
}

/** Short id as docker prints it: 12 hex chars. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
