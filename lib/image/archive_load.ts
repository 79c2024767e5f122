/**
 * `load`: docker-archive (`docker save`: manifest.json, config json, layer
 * tars — including docker 25+'s OCI-in-docker-archive layout) and OCI
 * image-layout archives (oci-layout, index.json, blobs/sha256/…). The
 * archive is staged, every image is planned, every layer is stored,
 * unpacked and verified, and only then are images committed — a bad
 * archive leaves no image and (after cleanup) no content behind.
 * @module
 */

import { ImageError } from "../errors.ts";
import { hostArchitecture } from "./config.ts";
import { formatReference, parseReference } from "./reference.ts";
import { isDigest } from "./digest.ts";
import { stageArchive, type StagedArchive, type StagedFile } from "./staging.ts";
import type { ImageStore } from "./store.ts";
import { parseImageConfig } from "./config.ts";

/** One image to load. */
export interface PlannedImage {
  config: StagedFile;
  layers: { file: StagedFile; mediaType: string }[];
  names: string[];
}

/** What was loaded: id and the names it got. */
export interface LoadedImage {
  id: string;
  names: string[];
}

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/**
 * Load every image of the archive in `src` into `store`.
 * @throws {ImageError} unknown format, missing/mismatching content, unsafe layers.
 */
export async function loadArchive(
  store: ImageStore,
  src: AsyncIterable<Uint8Array>,
  what: string,
): Promise<LoadedImage[]> {
  Deno.mkdirSync(store.layout.blobDir, { recursive: true });
  const dir = store.layout.temp(store.layout.blobDir);
  Deno.mkdirSync(dir, { mode: 0o700 });
  let ok = false;
  try {
    const staged = await stageArchive(src, dir, what);
    const plan = planLoad(staged, what);
    // store and verify everything before the first image becomes visible
    for (const img of plan) {
      const config = parseImageConfig(Deno.readFileSync(img.config.path), img.config.digest);
      if (config.rootfs.diff_ids.length !== img.layers.length) {
        throw new ImageError(
          `${what}: image ${img.config.digest} lists ${config.rootfs.diff_ids.length} layers in its config but ${img.layers.length} in its manifest`,
        );
      }
      for (const [i, l] of img.layers.entries()) {
        if (!store.hasBlob(l.file.digest)) await store.adoptBlob(l.file.digest, l.file.path);
        const { diffId } = await store.unpackLayer(l.file.digest, l.mediaType);
        if (diffId !== config.rootfs.diff_ids[i]) {
          throw new ImageError(
            `${what}: layer ${
              i + 1
            } of image ${img.config.digest} does not match its config (content ${diffId}, config ${
              config.rootfs.diff_ids[i]
            })`,
          );
        }
      }
    }
    const out: LoadedImage[] = [];
    for (const img of plan) {
      const r = await store.commitImage({
        config: Deno.readFileSync(img.config.path),
        layers: img.layers.map((l) => ({
          digest: l.file.digest,
          mediaType: l.mediaType,
          size: l.file.size,
        })),
        names: img.names,
      });
      out.push({ id: r.id, names: img.names });
    }
    ok = true;
    return out;
  } finally {
    Deno.removeSync(dir, { recursive: true });
    if (ok) store.close();
    else await store.discardUncommitted();
  }
}

/**
 * Decide what the staged archive holds (pure apart from reading staged files).
 * @throws {ImageError} neither format, or inconsistent content.
 */
export function planLoad(staged: StagedArchive, what: string): PlannedImage[] {
  if (staged.get("manifest.json")) return planDockerArchive(staged, what);
  if (staged.get("index.json")) return planOciLayout(staged, what);
  throw new ImageError(
    `${what}: not a docker-archive or OCI image layout (no manifest.json or index.json)`,
  );
}

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

function planDockerArchive(staged: StagedArchive, what: string): PlannedImage[] {
  const entries = staged.json<DockerManifestEntry[]>("manifest.json", what);
  if (!Array.isArray(entries) || !entries.length) {
    throw new ImageError(`${what}: manifest.json lists no images`);
  }
  return entries.map((e) => {
    if (
      typeof e?.Config !== "string" || !Array.isArray(e.Layers) ||
      !e.Layers.every((l) => typeof l === "string")
    ) {
      throw new ImageError(`${what}: malformed manifest.json entry`);
    }
    const tags = Array.isArray(e.RepoTags)
      ? e.RepoTags.filter((t): t is string => typeof t === "string")
      : [];
    return {
      config: needBlob(staged, e.Config, what),
      layers: (e.Layers as string[]).map((l) => ({
        file: needBlob(staged, l, what),
        mediaType: "",
      })),
      names: tags.map((t) => normalizeName(t, what)),
    };
  });
}

/** A file, verified against its name when it is `blobs/sha256/<hex>`. */
function needBlob(staged: StagedArchive, name: string, what: string, expect?: string): StagedFile {
  const m = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  const f = staged.need(name, what, expect);
  if (m && f.digest !== `sha256:${m[1]}`) {
    throw new ImageError(`${what}: digest mismatch for "${name}": content has ${f.digest}`);
  }
  return f;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

function planOciLayout(staged: StagedArchive, what: string): PlannedImage[] {
  const index = staged.json<{ manifests?: Descriptor[] }>("index.json", what);
  if (!Array.isArray(index?.manifests) || !index.manifests.length) {
    throw new ImageError(`${what}: index.json lists no images`);
  }
  return index.manifests.map((d) => {
    const name = nameFromAnnotations(d.annotations ?? {}, what);
    return planOciManifest(staged, d, name ? [name] : [], what, 0);
  });
}

function planOciManifest(
  staged: StagedArchive,
  d: Descriptor,
  names: string[],
  what: string,
  depth: number,
): PlannedImage {
  const doc = readDescribed<
    { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }
  >(
    staged,
    d,
    what,
  );
  const mediaType = doc.mediaType ?? d.mediaType ?? "";
  if (INDEX_TYPES.has(mediaType) || Array.isArray(doc.manifests)) {
    if (depth > 2) throw new ImageError(`${what}: image indexes nested too deeply`);
    return planOciManifest(staged, pickPlatform(doc.manifests ?? [], what), names, what, depth + 1);
  }
  if (!doc.config || !Array.isArray(doc.layers)) {
    throw new ImageError(`${what}: manifest ${d.digest} has no config or layers`);
  }
  return {
    config: describedFile(staged, doc.config, what),
    layers: doc.layers.map((l) => ({
      file: describedFile(staged, l, what),
      mediaType: l.mediaType ?? "",
    })),
    names,
  };
}

function describedFile(staged: StagedArchive, d: Descriptor, what: string): StagedFile {
  if (!d || typeof d.digest !== "string" || !isDigest(d.digest)) {
    throw new ImageError(`${what}: descriptor without a valid sha256 digest`);
  }
  const f = needBlob(staged, `blobs/sha256/${d.digest.slice(7)}`, what, d.digest);
  if (typeof d.size === "number" && d.size !== f.size) {
    throw new ImageError(
      `${what}: size mismatch for ${d.digest}: expected ${d.size} bytes, got ${f.size}`,
    );
  }
  return f;
}

function readDescribed<T>(staged: StagedArchive, d: Descriptor, what: string): T {
  const f = describedFile(staged, d, what);
  return staged.json<T>(`blobs/sha256/${f.digest.slice(7)}`, what);
}

function pickPlatform(list: Descriptor[], what: string): Descriptor {
  const arch = hostArchitecture();
  const match = list.find((m) =>
    (m.platform?.os ?? "linux") === "linux" && m.platform?.architecture === arch
  );
  if (match) return match;
  if (list.length === 1) return list[0];
  throw new ImageError(`${what}: no image for linux/${arch} in the archive's index`);
}

/**
 * The name of an OCI index entry: containerd's full name, else the OCI
 * ref.name when it is a full reference (a bare tag like "latest" names no
 * repository, so the image loads untagged, as with docker).
 */
function nameFromAnnotations(a: Record<string, string>, what: string): string | undefined {
  const full = a["io.containerd.image.name"];
  if (full) return normalizeName(full, what);
  const ref = a["org.opencontainers.image.ref.name"];
  if (ref && /[:/]/.test(ref)) return normalizeName(ref, what);
  return undefined;
}

function normalizeName(name: string, what: string): string {
  try {
    return formatReference(parseReference(name));
  } catch (err) {
    throw new ImageError(`${what}: invalid image name "${name}" in the archive`, { cause: err });
  }
}
