/**
 * Parsing and building image config documents (the blob whose digest is
 * the image id).
 * @module
 */

import { ImageError } from "../errors.ts";
import { isDigest } from "./digest_name.ts";
import type { ImageConfig, OciImageConfig } from "./types.ts";

/**
 * Parse and minimally validate a config blob.
 * @throws {ImageError} not JSON, or no valid `rootfs.diff_ids`.
 */
export function parseImageConfig(bytes: Uint8Array, what: string): OciImageConfig {
  let doc: OciImageConfig;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // a truncated or non-JSON file where the config should be
    if (err instanceof SyntaxError) {
      throw new ImageError(`image config ${what} is not valid JSON`, { cause: err });
    }
    throw err;
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ImageError(`image config ${what} is not a JSON object`);
  }
  const ids = doc.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === "string" && isDigest(d))) {
    throw new ImageError(`image config ${what} has no valid rootfs.diff_ids`);
  }
  if (
    doc.config !== undefined && doc.config !== null &&
    (typeof doc.config !== "object" || Array.isArray(doc.config))
  ) {
    throw new ImageError(`image config ${what} has an invalid "config" section`);
  }
  return doc;
}

/** Docker's GOARCH spelling of this machine's architecture. */
export function hostArchitecture(): string {
  const a = Deno.build.arch;
  return a === "x86_64" ? "amd64" : a === "aarch64" ? "arm64" : a;
}

/** A fresh config for a single-layer image made by `import` (docker's: no Cmd). */
export function importConfig(diffId: string, config: ImageConfig, comment: string): Uint8Array {
  const created = new Date().toISOString();
  const doc: OciImageConfig = {
    architecture: hostArchitecture(),
    os: "linux",
    created,
    comment,
    config,
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created, comment, created_by: "" }],
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}
