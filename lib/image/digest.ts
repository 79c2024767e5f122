/**
 * Content digests (`sha256:<hex>` only, as the OCI spec requires of
 * registries in practice) and streaming hashing.
 * @module
 */

import { createHash } from "node:crypto";
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

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A running sha256 + byte count over a stream. */
export class DigestCounter {
  #hash = createHash("sha256");
  /** Bytes seen so far. */
  size = 0;
  /** Feed a chunk. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
  }
  /** `sha256:<hex>` of everything fed (call once). */
  digest(): string {
    return `sha256:${this.#hash.digest("hex")}`;
  }
}

/** Pass chunks through unchanged while feeding `counter`. */
export async function* tap(
  src: AsyncIterable<Uint8Array>,
  counter: DigestCounter,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of src) {
    counter.update(chunk);
    yield chunk;
  }
}

/** Short id as docker prints it: 12 hex chars. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
