/**
 * The image store: content-addressed blobs, unpacked layers by diff id,
 * image records by config digest and a tag index (layout in
 * store_layout.ts). Content appears only by atomic rename; records and tags
 * change only under the store lock; GC honours leases of live processes, so
 * concurrent tsbox processes never see or make a half-written image.
 * Reading needs no privileges; unpacking needs root (chown, mknod, xattrs).
 * @module
 */

import { basename } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { sweepPartials } from "./partials.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";
import { ImageError, UsageError } from "../errors.ts";
import { exists, readJsonIfExists, removeIfExists, withLock, writeJsonAtomic } from "../fsutil.ts";
import { listContainers } from "../container/store.ts";
import { formatReference, parseReference, repositoryOf } from "./reference.ts";
import { digestHex, sha256Digest } from "./digest.ts";
import type { UnpackKernel } from "./unpack.ts";
import { Lease } from "./lease.ts";
import { StoreLayout } from "./store_layout.ts";
import { readTags, tagsOf, writeTags } from "./repositories.ts";
import { collectGarbage, type GcResult, readRecords, scanRecords } from "./gc.ts";
import { planRemove } from "./remove_plan.ts";
import { parseImageConfig } from "./config.ts";
import { readImageConfig, resolveRecord } from "./lookup.ts";
import { adoptBlobFile, writeBlobFile } from "./blob_io.ts";
import { isDir, LayerUnpack, unpackBlob, unpackedLayer } from "./layer_unpack.ts";
import { findImage, type Found } from "./find.ts";
import type { UnpackPool } from "./unpack_pool.ts";
import type {
  ImageRecord,
  ImageSummary,
  LayerRecord,
  OciImageConfig,
  ResolvedImage,
} from "./types.ts";

/** What `commitImage` takes. */
export interface CommitInput {
  /** Raw config JSON bytes (their sha256 is the image id). */
  config: Uint8Array;
  /** Layer blobs, bottom first (already written with writeBlob/adoptBlob). */
  layers: { digest: string; mediaType: string; size: number }[];
  /** Manifest digest (recorded as `repo@digest` for each name). */
  manifestDigest?: string;
  /** Normalised refs to tag. */
  names: string[];
}

/** What `remove` did. */
export interface RemoveResult {
  untagged: string[];
  deleted: string[];
  gc: GcResult;
}

/** A layer being unpacked as its blob downloads (see `ImageStore.streamLayer`). */
export interface StreamingLayer {
  /** The blob's next bytes; a returned promise: wait before writing more. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Every byte was given and the blob is verified: finish and move the layer into place. */
  commit(): Promise<{ diffId: string; dir: string }>;
  /** Give up (stops the extraction, removes the partial layer; idempotent). */
  discard(): Promise<void>;
}

/** The image store under `paths.images`. */
export class ImageStore {
  /** File layout. */
  readonly layout: StoreLayout;
  #kernel?: UnpackKernel;
  #lease: Lease;
  #created = new Set<string>();

  /** @param kernel used to unpack layers (default: the real kernel). */
  constructor(readonly paths: Paths, kernel?: UnpackKernel) {
    this.layout = new StoreLayout(paths);
    this.#kernel = kernel;
    this.#lease = new Lease(this.layout);
  }

  /**
   * Find an image by name (`busybox` → `docker.io/library/busybox:latest`),
   * `name@sha256:` repo digest, full id or unique id prefix.
   * @throws {UsageError} invalid reference. @throws {ImageError} ambiguous id prefix.
   */
  lookup(ref: string): ResolvedImage | undefined {
    const f = this.#find(ref);
    return f && this.#resolve(f.record, f.ref);
  }

  /** The stored record for a reference (see lookup). */
  record(ref: string): ImageRecord | undefined {
    return this.#find(ref)?.record;
  }

  /** The full config document of image `id`. @throws {ImageError} missing/corrupt config blob. */
  configOf(id: string): OciImageConfig {
    return readImageConfig(this.layout, id);
  }

  /** True when the blob is stored (and protects it from GC for this process). */
  hasBlob(digest: string): boolean {
    this.#lease.add(digest);
    return exists(this.layout.blob(digest));
  }

  /** Path of a stored blob. */
  blobPath(digest: string): string {
    return this.layout.blob(digest);
  }

  /** A stable temp path for a resumable download of `digest` (same filesystem as blobs). */
  partialPath(digest: string): string {
    Deno.mkdirSync(this.layout.partialDir, { recursive: true });
    return `${this.layout.partialDir}/${digestHex(digest)}`;
  }

  /**
   * Store a blob: stream to a temp file, verify sha256 (+size), rename.
   * @throws {ImageError} digest or size mismatch (nothing is left behind).
   */
  async writeBlob(
    digest: string,
    data: ReadableStream<Uint8Array> | Uint8Array,
    opts: { size?: number } = {},
  ): Promise<string> {
    this.#lease.add(digest);
    const b = await writeBlobFile(this.layout, digest, data, opts.size);
    if (b.created) this.#created.add(digest);
    return b.path;
  }

  /**
   * Verify an already-downloaded file and move it into the store
   * (`verified`: the downloader hashed it while writing; it is not read again).
   * @throws {ImageError} mismatch (the file is removed: it is corrupt).
   */
  async adoptBlob(
    digest: string,
    tempFile: string,
    opts: { verified?: boolean } = {},
  ): Promise<string> {
    this.#lease.add(digest);
    const b = await adoptBlobFile(this.layout, digest, tempFile, opts.verified);
    if (b.created) this.#created.add(digest);
    return b.path;
  }

  /**
   * Unpack a stored layer blob into `layers/<diffid>/` (reused when present).
   * Needs root. @throws {ImageError} unsupported media type, unsafe or corrupt tar.
   */
  async unpackLayer(
    blobDigest: string,
    mediaType: string,
  ): Promise<{ diffId: string; dir: string }> {
    this.#lease.add(blobDigest);
    const l = await unpackBlob(
      this.layout,
      this.kernel,
      blobDigest,
      mediaType,
      (d) => this.#lease.add(d),
    );
    if (l.created) this.#created.add(l.diffId);
    return { diffId: l.diffId, dir: l.dir };
  }

  /** The unpacked layer of `blobDigest` when there is one (leased), else undefined. */
  unpackedLayer(blobDigest: string): { diffId: string; dir: string } | undefined {
    const l = unpackedLayer(this.layout, blobDigest, (d) => this.#lease.add(d));
    return l && { diffId: l.diffId, dir: l.dir };
  }

  /**
   * Start unpacking the layer blob `blobDigest` while it is downloaded: give
   * it the blob's bytes in order, then `commit` once the blob is verified
   * and stored (or `discard`). The extraction runs on `pool` when given.
   * Needs root.
   * @throws {ImageError} unsupported media type.
   */
  streamLayer(blobDigest: string, mediaType: string, pool?: UnpackPool): StreamingLayer {
    this.#lease.add(blobDigest);
    const u = LayerUnpack.begin(this.layout, this.kernel, blobDigest, mediaType, pool);
    return {
      write: (chunk) => u.write(chunk),
      commit: async () => {
        const l = await u.commit((d) => this.#lease.add(d));
        if (l.created) this.#created.add(l.diffId);
        return { diffId: l.diffId, dir: l.dir };
      },
      discard: () => u.discard(),
    };
  }

  /**
   * Record an image: unpacks layers not yet unpacked, verifies their diff
   * ids against the config, writes the record and moves the tags.
   * @throws {ImageError} bad config, diff id mismatch, content removed meanwhile.
   */
  async commitImage(img: CommitInput): Promise<ResolvedImage> {
    const id = sha256Digest(img.config);
    const config = parseImageConfig(img.config, id);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== img.layers.length) {
      throw new ImageError(
        `image ${id}: config lists ${diffIds.length} layers but ${img.layers.length} were given`,
      );
    }
    const names = img.names.map((n) => formatReference(parseReference(n)));
    const layers: LayerRecord[] = [];
    for (const [i, l] of img.layers.entries()) {
      if (!this.hasBlob(l.digest)) {
        throw new ImageError(`layer blob ${l.digest} is not in the store`);
      }
      const { diffId } = await this.unpackLayer(l.digest, l.mediaType);
      if (diffId !== diffIds[i]) {
        throw new ImageError(
          `layer ${
            i + 1
          } (${l.digest}) does not match the image config: its content has diff id ${diffId}, the config says ${
            diffIds[i]
          }`,
        );
      }
      const db = readJsonIfExists<{ tarSize: number }>(this.layout.layerDb(l.digest));
      layers.push({ ...l, diffId, tarSize: db?.tarSize ?? 0 });
    }
    await this.writeBlob(id, img.config);
    return await withLock(this.layout.lock, () => {
      for (const l of layers) {
        // a GC that ran before our lease existed may have taken them
        if (!exists(this.layout.blob(l.digest)) || !isDir(this.layout.layer(l.diffId))) {
          throw new ImageError(`layer ${l.digest} was removed by a concurrent prune`, {
            hint: "retry the command",
          });
        }
      }
      const old = readJsonIfExists<ImageRecord>(this.layout.image(id));
      const digests = new Set(old?.repoDigests ?? []);
      for (const n of names.filter((n) => n.includes("@"))) digests.add(n);
      if (img.manifestDigest) {
        for (const n of names) {
          digests.add(`${repositoryOf(parseReference(n))}@${img.manifestDigest}`);
        }
      }
      const record: ImageRecord = {
        id,
        configSize: img.config.length,
        layers,
        repoDigests: [...digests].sort(),
        manifestDigest: img.manifestDigest ?? old?.manifestDigest,
        added: old?.added ?? new Date().toISOString(),
      };
      writeJsonAtomic(this.layout.image(id), record);
      const tags = readTags(this.layout);
      for (const n of names.filter((n) => !n.includes("@"))) tags[n] = id;
      writeTags(this.layout, tags);
      return this.#resolve(record, names[0] ?? id);
    });
  }

  /**
   * Tag image `src` as `name`. @throws {ImageError} no such image. @throws {UsageError} bad name / digest name.
   */
  async tag(src: string, name: string): Promise<string> {
    const r = parseReference(name);
    if (r.digest) {
      throw new UsageError(`refusing to create a tag with a digest reference: "${name}"`);
    }
    const target = formatReference(r);
    await withLock(this.layout.lock, () => {
      const f = this.#find(src);
      if (!f) throw noSuchImage(src);
      const tags = readTags(this.layout);
      tags[target] = f.record.id;
      writeTags(this.layout, tags);
    });
    return target;
  }

  /** All images with their tags, newest first. */
  list(): ImageSummary[] {
    const tags = readTags(this.layout);
    const out = readRecords(this.layout).map((record): ImageSummary => {
      let created: string | undefined;
      try {
        created = this.configOf(record.id).created;
      } catch (err) {
        // a record whose config went missing still lists (without a date)
        if (!(err instanceof ImageError)) throw err;
      }
      return {
        id: record.id,
        tags: tagsOf(tags, record.id),
        repoDigests: record.repoDigests,
        created,
        size: record.layers.reduce((s, l) => s + l.tarSize, 0),
        record,
      };
    });
    return out.sort((a, b) =>
      (b.created ?? "").localeCompare(a.created ?? "") || a.id.localeCompare(b.id)
    );
  }

  /**
   * `rmi`: untag and/or delete one image following docker's rules, then GC.
   * @throws {ImageError} no such image, or a conflict that needs `force`.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<RemoveResult> {
    return await withLock(this.layout.lock, () => {
      const f = this.#find(ref);
      if (!f) throw noSuchImage(ref);
      const tags = readTags(this.layout);
      const plan = planRemove({
        id: f.record.id,
        name: f.byId ? undefined : f.ref,
        tags: tagsOf(tags, f.record.id),
        repoDigests: f.record.repoDigests,
        usedBy: containersUsing(this.paths).get(f.record.id),
        force: !!opts.force,
      });
      for (const t of plan.untag) delete tags[t];
      writeTags(this.layout, tags);
      const deleted: string[] = [];
      if (plan.deleteImage) {
        removeIfExists(this.layout.image(f.record.id));
        deleted.push(f.record.id);
      } else if (plan.dropDigests.length) {
        const record = {
          ...f.record,
          repoDigests: f.record.repoDigests.filter((d) => !plan.dropDigests.includes(d)),
        };
        writeJsonAtomic(this.layout.image(f.record.id), record);
      }
      const gc = deleted.length
        ? collectGarbage(this.layout, { keep: containerContent(this.paths) })
        : { blobs: [], layers: [], reclaimed: 0 };
      return { untagged: [...plan.untag, ...plan.dropDigests], deleted, gc };
    });
  }

  /**
   * Remove dangling images (no tags, no digests) — or, with `all`, every
   * image no container uses — then GC.
   */
  async prune(
    opts: { all?: boolean } = {},
  ): Promise<{ deleted: string[]; untagged: string[]; gc: GcResult }> {
    return await withLock(this.layout.lock, () => {
      const tags = readTags(this.layout);
      const used = containersUsing(this.paths);
      const deleted: string[] = [];
      const untagged: string[] = [];
      const { records, broken } = scanRecords(this.layout);
      for (const r of records) {
        if (used.has(r.id)) continue;
        const t = tagsOf(tags, r.id);
        if (!opts.all && (t.length || r.repoDigests.length)) continue;
        for (const name of t) delete tags[name];
        untagged.push(...t, ...r.repoDigests);
        removeIfExists(this.layout.image(r.id));
        deleted.push(r.id);
      }
      // an unreadable record is no image any more: it goes with its tags (unless a container uses it)
      for (const b of broken) {
        if (used.has(b.id)) continue;
        const t = tagsOf(tags, b.id);
        for (const name of t) delete tags[name];
        untagged.push(...t);
        removeIfExists(b.file);
        deleted.push(b.id);
      }
      writeTags(this.layout, tags);
      const gc = collectGarbage(this.layout, { keep: containerContent(this.paths) });
      // downloads no pull will resume (a failed pull's leftovers) go too
      gc.reclaimed += sweepPartials(this.layout.partialDir, this.paths.locks).reclaimed;
      return { deleted, untagged, gc };
    });
  }

  /** Run GC on its own (under the store lock). */
  async gc(): Promise<GcResult> {
    return await withLock(
      this.layout.lock,
      () => collectGarbage(this.layout, { keep: containerContent(this.paths) }),
    );
  }

  /**
   * After a failed load/import: remove what this instance added that no
   * image references (blobs, layers), and drop its lease.
   */
  async discardUncommitted(): Promise<void> {
    this.#lease.release();
    if (!this.#created.size) return;
    const only = new Set(this.#created);
    this.#created.clear();
    await withLock(this.layout.lock, () => collectGarbage(this.layout, { only }));
  }

  /** Drop this instance's lease (call when done ingesting). */
  close(): void {
    this.#lease.release();
    this.#created.clear();
  }

  /** The kernel used for unpacking. */
  get kernel(): UnpackKernel {
    this.#kernel ??= new LinuxKernel();
    return this.#kernel;
  }

  #find(ref: string): Found | undefined {
    return findImage(this.layout, ref);
  }

  #resolve(record: ImageRecord, ref: string): ResolvedImage {
    return resolveRecord(this.layout, record, ref);
  }
}

/**
 * What containers stack, by digest: their image ids and the diff ids of
 * their layer dirs — kept by GC even when the image record is unreadable.
 */
export function containerContent(paths: Paths): Set<string> {
  const out = new Set<string>();
  for (const c of listContainers(paths)) {
    out.add(c.config.image.id);
    for (const d of c.config.image.layerDirs) out.add(`sha256:${basename(d)}`);
  }
  return out;
}

/** Image id → id of a container using it. */
export function containersUsing(paths: Paths): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of listContainers(paths)) {
    if (!out.has(c.config.image.id)) out.set(c.config.image.id, c.config.id);
  }
  return out;
}

/** docker's wording for a missing image. */
export function noSuchImage(ref: string): ImageError {
  return new ImageError(`No such image: ${ref}`);
}
