/**
 * Registry manifests: the four media types tsbox accepts (OCI index and
 * manifest, Docker manifest list and schema2 manifest), and strict parsing
 * of their JSON into one shape. Pure: no I/O.
 * @module
 */

import { ImageError } from "../errors.ts";

/** OCI image index (multi-platform). */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image manifest. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** Docker manifest list (multi-platform). */
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker image config. */
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** OCI image config. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

/** `Accept` header for manifest requests, most specific first. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(", ");

/** Layer media types the store can unpack (tar, gzip, zstd; OCI and Docker spellings). */
export const LAYER_TYPES = new Set([
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
]);

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A content descriptor: what to fetch, how big it is, what it is. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
}

/** Platform of an index entry. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
}

/** One entry of an index / manifest list. */
export interface IndexEntry extends Descriptor {
  platform?: Platform;
}

/** A parsed manifest document: an index or a single-image manifest. */
export type ParsedManifest =
  | { kind: "index"; mediaType: string; manifests: IndexEntry[] }
  | { kind: "image"; mediaType: string; config: Descriptor; layers: Descriptor[] };

/**
 * Parse manifest bytes served with `contentType` (the registry's header; the
 * document's own `mediaType` wins when present).
 * @throws {ImageError} not JSON, an unsupported media type (e.g. schema1), or malformed descriptors.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | null,
  what: string,
): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // a proxy's HTML error page or a truncated body
    if (err instanceof SyntaxError) {
      throw new ImageError(`manifest for ${what} is not valid JSON`, { cause: err });
    }
    throw err;
  }
  if (!doc || typeof doc !== "object") {
    throw new ImageError(`manifest for ${what} is not a JSON object`);
  }
  const header = (contentType ?? "").split(";")[0].trim();
  let mediaType = typeof doc.mediaType === "string" ? doc.mediaType : header;
  // OCI documents may omit mediaType; tell them apart by shape
  if (!mediaType || mediaType === "application/json") {
    mediaType = Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;
  }
  if (doc.schemaVersion !== 2) {
    throw new ImageError(
      `unsupported manifest schema version ${String(doc.schemaVersion)} for ${what}`,
      {
        hint: "only schema 2 (Docker v2 / OCI) images can be pulled",
      },
    );
  }
  if (mediaType === OCI_INDEX || mediaType === DOCKER_LIST) {
    if (!Array.isArray(doc.manifests)) throw new ImageError(`index for ${what} has no manifests`);
    const manifests = doc.manifests.map((m) => ({
      ...descriptor(m, what),
      platform: platformOf(m),
    }));
    return { kind: "index", mediaType, manifests };
  }
  if (mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST) {
    if (!Array.isArray(doc.layers)) throw new ImageError(`manifest for ${what} has no layers`);
    return {
      kind: "image",
      mediaType,
      config: descriptor(doc.config, what),
      layers: doc.layers.map((l) => descriptor(l, what)),
    };
  }
  throw new ImageError(`unsupported manifest media type "${mediaType}" for ${what}`);
}

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Record<string, unknown> | null;
  if (!d || typeof d !== "object" || typeof d.digest !== "string" || !DIGEST.test(d.digest)) {
    throw new ImageError(`manifest for ${what} has a descriptor without a valid sha256 digest`);
  }
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ImageError(`manifest for ${what} has an invalid size for ${d.digest}`);
  }
  return {
    mediaType: typeof d.mediaType === "string" ? d.mediaType : "",
    digest: d.digest,
    size: d.size,
    urls: Array.isArray(d.urls) ? d.urls.filter((u) => typeof u === "string") : undefined,
  };
}

function platformOf(v: unknown): Platform | undefined {
  const p = (v as Record<string, unknown>).platform as Record<string, unknown> | undefined;
  if (
    !p || typeof p !== "object" || typeof p.os !== "string" || typeof p.architecture !== "string"
  ) return undefined;
  return {
    os: p.os,
    architecture: p.architecture,
    variant: typeof p.variant === "string" ? p.variant : undefined,
    "os.version": typeof p["os.version"] === "string" ? p["os.version"] : undefined,
  };
}
