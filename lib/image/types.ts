/**
 * Shapes shared by the image store, the archive readers/writers and the
 * commands that run images: the OCI image config, the stored image record
 * and the resolved view the run path consumes.
 * @module
 */

/** The runtime part of an OCI/Docker image config (its `.config` object). */
export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, unknown>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  [key: string]: unknown;
}

/** The whole config document (blob addressed by the image id). */
export interface OciImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ImageConfig | null;
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

/** One layer of a stored image. */
export interface LayerRecord {
  /** Digest of the blob as stored (compressed or not). */
  digest: string;
  /** Media type the blob was stored under ("" when unknown: sniffed). */
  mediaType: string;
  /** Blob size in bytes. */
  size: number;
  /** sha256 of the uncompressed tar (names the unpacked dir). */
  diffId: string;
  /** Uncompressed tar size in bytes. */
  tarSize: number;
}

/** `images/<hex>.json`: one image. Tags live in `repositories.json`. */
export interface ImageRecord {
  /** `sha256:<hex>` digest of the config blob. */
  id: string;
  /** Size of the config blob. */
  configSize: number;
  /** Layers, bottom first. */
  layers: LayerRecord[];
  /** `repo@sha256:…` references (from pulls). */
  repoDigests: string[];
  /** Manifest digest the image was last committed with, if known. */
  manifestDigest?: string;
  /** ISO time the image entered this store. */
  added: string;
}

/** An image as the run path needs it. */
export interface ResolvedImage {
  /** `sha256:…` config digest. */
  id: string;
  /** Normalised name the image was found by, or the id. */
  ref: string;
  /** The config's `.config` object (`{}` when the image has none). */
  config: ImageConfig;
  /** Absolute unpacked layer dirs, bottom first. */
  layerDirs: string[];
}

/** An image as listed: record plus tags and derived facts. */
export interface ImageSummary {
  id: string;
  /** Normalised `name:tag` references pointing at it. */
  tags: string[];
  repoDigests: string[];
  /** Creation time from the config (ISO), if any. */
  created?: string;
  /** Sum of uncompressed layer sizes. */
  size: number;
  record: ImageRecord;
}
