/**
 * `save`: write images as a docker-archive in the layout docker 25+ uses —
 * an OCI image layout (oci-layout, index.json, blobs/sha256/…) plus the
 * classic manifest.json — so `docker load`, `skopeo` (docker-archive: and
 * oci-archive:) and `tsbox load` all read it. Layers are written
 * uncompressed (their digest is then the diff id), decompressed on the fly
 * from the stored blobs.
 * @module
 */

import tar from "tar-stream";
import { ImageError, UsageError } from "../errors.ts";
import { familiarName, formatReference, parseReference, repositoryOf } from "./reference.ts";
import { DigestCounter, sha256Digest } from "./digest.ts";
import { decompress, readHead, sniffCompression } from "./decompress.ts";
import { type ImageStore, noSuchImage } from "./store.ts";
import { readTags, tagsOf } from "./repositories.ts";
import type { ImageRecord, LayerRecord } from "./types.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";

/** One image to save with the tags to record for it. */
export interface SaveItem {
  record: ImageRecord;
  tags: string[];
}

/**
 * Which images and tags `save REF...` writes: a name with a tag saves that
 * tag; a bare repository name saves all its tags; an id saves the image
 * untagged (as docker does).
 * @throws {ImageError} no such image. @throws {UsageError} bad reference.
 */
export function planSave(store: ImageStore, refs: string[]): SaveItem[] {
  const tags = readTags(store.layout);
  const items = new Map<string, SaveItem>();
  const add = (record: ImageRecord, t: string[]) => {
    const item = items.get(record.id) ?? { record, tags: [] };
    for (const x of t) if (!item.tags.includes(x)) item.tags.push(x);
    items.set(record.id, item);
  };
  for (const ref of refs) {
    const bareRepo = !/[:@]/.test(ref.slice(ref.lastIndexOf("/") + 1)) &&
      !/^(sha256:)?[a-f0-9]{64}$/.test(ref);
    if (bareRepo) {
      let repo: string | undefined;
      try {
        repo = repositoryOf(parseReference(ref));
      } catch (err) {
        // not a name (e.g. an id prefix): resolved below
        if (!(err instanceof UsageError)) throw err;
      }
      const all = repo
        ? Object.keys(tags).filter((t) => repositoryOf(parseReference(t)) === repo)
        : [];
      if (all.length) {
        for (const t of all) add(store.record(t)!, [t]);
        continue;
      }
    }
    const record = store.record(ref);
    if (!record) throw noSuchImage(ref);
    const named = tagsOf(tags, record.id).find((t) => t === safeNormalize(ref));
    add(record, named ? [named] : []);
  }
  return [...items.values()];
}

function safeNormalize(ref: string): string | undefined {
  try {
    return formatReference(parseReference(ref));
  } catch (err) {
    // ids and id prefixes are not names
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/**
 * Write the archive of `items` to `sink`.
 * @throws {ImageError} content missing from the store.
 */
export async function writeArchive(
  store: ImageStore,
  items: SaveItem[],
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const pack = tar.pack();
  let sinkError: unknown;
  const draining = (async () => {
    try {
      for await (const chunk of pack as AsyncIterable<Uint8Array>) await sink(chunk);
    } catch (err) {
      // the output failed (closed pipe, full disk): stop the producer, report this error
      sinkError = err;
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    await produce(store, items, pack);
    pack.finalize();
  } catch (err) {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
    await draining;
    throw sinkError ?? err;
  }
  await draining;
  if (sinkError !== undefined) throw sinkError;
}

async function produce(store: ImageStore, items: SaveItem[], pack: tar.Pack): Promise<void> {
  const written = new Set<string>();
  const manifestJson: unknown[] = [];
  const index: unknown[] = [];
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const small = async (name: string, bytes: Uint8Array) => {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry(
        { name, size: bytes.length, mode: 0o644 },
        bytes,
        (e: unknown) => e ? reject(e) : resolve(),
      );
      entry.on("error", reject); // a destroyed pack errors its entry: never unhandled
    });
  };
  await small("oci-layout", enc({ imageLayoutVersion: "1.0.0" }));
  for (const { record, tags } of items) {
    const configPath = store.blobPath(record.id);
    const config = readOr(configPath, record.id);
    const cfgName = `blobs/sha256/${record.id.slice(7)}`;
    if (!written.has(record.id)) await small(cfgName, config);
    written.add(record.id);
    const layerNames: string[] = [];
    for (const l of record.layers) {
      const name = `blobs/sha256/${l.diffId.slice(7)}`;
      layerNames.push(name);
      if (!written.has(l.diffId)) await writeLayer(store, l, name, pack);
      written.add(l.diffId);
    }
    const manifest = enc({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: record.id, size: config.length },
      layers: record.layers.map((l) => ({
        mediaType: OCI_LAYER,
        digest: l.diffId,
        size: l.tarSize,
      })),
    });
    const mDigest = sha256Digest(manifest);
    if (!written.has(mDigest)) await small(`blobs/sha256/${mDigest.slice(7)}`, manifest);
    written.add(mDigest);
    const desc = { mediaType: OCI_MANIFEST, digest: mDigest, size: manifest.length };
    if (!tags.length) index.push(desc);
    for (const t of tags) {
      index.push({
        ...desc,
        annotations: {
          "io.containerd.image.name": t,
          "org.opencontainers.image.ref.name": parseReference(t).tag ?? "latest",
        },
      });
    }
    manifestJson.push({
      Config: cfgName,
      RepoTags: tags.length ? tags.map((t) => familiarName(parseReference(t))) : null,
      Layers: layerNames,
    });
  }
  await small("index.json", enc({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: index }));
  await small("manifest.json", enc(manifestJson));
}

/** Stream one layer, uncompressed, as a tar entry of exactly `tarSize` bytes. */
async function writeLayer(
  store: ImageStore,
  l: LayerRecord,
  name: string,
  pack: tar.Pack,
): Promise<void> {
  const blob = store.blobPath(l.digest);
  readOr(blob, l.digest, 0);
  const compression = sniffCompression(readHead(blob));
  const size = l.tarSize > 0 ? l.tarSize : await countBytes(blob, compression, l.digest);
  const counter = new DigestCounter();
  let done!: () => void;
  let failed!: (e: unknown) => void;
  const finished = new Promise<void>((res, rej) => [done, failed] = [res, rej]);
  const entry = pack.entry({ name, size, mode: 0o644 }, (e: unknown) => e ? failed(e) : done());
  entry.on("error", (e: unknown) => failed(e)); // a destroyed pack errors its entry: never unhandled
  // observed here so an abort below is not an unhandled rejection; awaited on success
  finished.catch((e: unknown) => e);
  const file = await Deno.open(blob);
  for await (const chunk of decompress(file.readable, compression, `layer ${l.digest}`)) {
    counter.update(chunk);
    if (entry.destroyed) throw new ImageError(`save: writing ${name} was aborted`);
    if (!entry.write(chunk) && !entry.destroyed) {
      // resume on drain, or on close when the pack was destroyed (output failed)
      await new Promise<void>((resolve) => {
        const done = () => {
          entry.off("drain", done);
          entry.off("close", done);
          resolve();
        };
        entry.on("drain", done);
        entry.on("close", done);
      });
    }
    if (entry.destroyed) throw new ImageError(`save: writing ${name} was aborted`);
  }
  if (counter.size !== size || counter.digest() !== l.diffId) {
    throw new ImageError(
      `layer ${l.digest} in the store is corrupt (its content no longer matches ${l.diffId})`,
      { path: blob, hint: "remove the image (tsbox rmi) and pull or load it again" },
    );
  }
  entry.end();
  await finished;
}

async function countBytes(
  blob: string,
  c: ReturnType<typeof sniffCompression>,
  what: string,
): Promise<number> {
  let n = 0;
  const file = await Deno.open(blob);
  for await (const chunk of decompress(file.readable, c, what)) n += chunk.length;
  return n;
}

/** Read a blob (or only check it exists when `limit` is 0). */
function readOr(path: string, digest: string, limit = -1): Uint8Array {
  try {
    if (limit === 0) {
      Deno.statSync(path);
      return new Uint8Array();
    }
    return Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ImageError(`blob ${digest} is missing from the image store`);
    }
    throw err;
  }
}
