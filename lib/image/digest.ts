/**
 * Content digests (`sha256:<hex>` only, as the OCI spec requires of
 * registries in practice) and streaming hashing. Checking and printing
 * digests is digest_name.ts (no node:crypto: `run` reads the store without hashing).
 * @module
 */

import { createHash } from "node:crypto";

export { digestHex, isDigest, shortId } from "./digest_name.ts";

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
