/**
 * Where things live in the image store (`paths.images`):
 *
 * - `blobs/sha256/<hex>` — content by digest (configs, layer tars)
 * - `layers/<hex>/` — unpacked layer by diff id (appears only by rename)
 * - `layerdb/<blobhex>.json` — blob → diff id + tar size, so unpack is idempotent
 * - `images/<hex>.json` — image records by id (config digest)
 * - `repositories.json` — `name:tag` → image id
 * - `leases/<owner>-<uuid>` — digests a live process is ingesting (kept by GC)
 * - `partial/<hex>` — resumable downloads
 * - `.tmp-<owner>-<uuid>` names in blobs/sha256 and layers/ — work in progress
 *
 * Pure path arithmetic plus the identity of this process.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { digestHex } from "./digest_name.ts";

/** Paths inside one image store. */
export class StoreLayout {
  readonly root: string;
  constructor(readonly paths: Paths) {
    this.root = paths.images;
  }
  /** Directory of blobs. */
  get blobDir(): string {
    return join(this.root, "blobs", "sha256");
  }
  /** Directory of unpacked layers. */
  get layerDir(): string {
    return join(this.root, "layers");
  }
  /** Directory of blob → diff id records. */
  get layerDbDir(): string {
    return join(this.root, "layerdb");
  }
  /** Directory of image records. */
  get imageDir(): string {
    return join(this.root, "images");
  }
  /** Directory of lease files. */
  get leaseDir(): string {
    return join(this.root, "leases");
  }
  /** `build-cache/<key>.json`: results of `build` steps (kept by GC, see build/cache.ts). */
  get buildCacheDir(): string {
    return join(this.root, "build-cache");
  }
  /** Directory of partial downloads. */
  get partialDir(): string {
    return join(this.root, "partial");
  }
  /** The tag index. */
  get repositories(): string {
    return join(this.root, "repositories.json");
  }
  /** The store lock (held for record/tag updates and GC). */
  get lock(): string {
    return join(this.paths.locks, "image-store.lock");
  }
  /** Blob file of `digest`. */
  blob(digest: string): string {
    return join(this.blobDir, digestHex(digest));
  }
  /** Unpacked layer dir of `diffId`. */
  layer(diffId: string): string {
    return join(this.layerDir, digestHex(diffId));
  }
  /** Blob → diff id record of `blobDigest`. */
  layerDb(blobDigest: string): string {
    return join(this.layerDbDir, `${digestHex(blobDigest)}.json`);
  }
  /** Record of image `id`. */
  image(id: string): string {
    return join(this.imageDir, `${digestHex(id)}.json`);
  }
  /** A fresh temp name in `dir` tagged with this process's identity. */
  temp(dir: string): string {
    return join(dir, `${TMP_PREFIX}${processOwner()}-${crypto.randomUUID()}`);
  }
}

/** Prefix of work-in-progress names. */
export const TMP_PREFIX = ".tmp-";

let owner: string | undefined;

/**
 * `<pid>.<starttime>` of this process: unique across pid reuse, so GC can
 * tell whether the process that made a temp file or lease still lives.
 */
export function processOwner(): string {
  owner ??= ownerOf(Deno.pid) ?? `${Deno.pid}.0`;
  return owner;
}

/** `<pid>.<starttime>` of a live process, or undefined when it is gone. */
export function ownerOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // no such process
    throw err;
  }
  // the comm field may hold spaces and parens: fields after the last ')' are fixed
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // a zombie has exited (and may never be reaped where PID 1 does not reap)
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return `${pid}.${fields[19]}`;
}

/** True when the owner tag (as made by processOwner) names a live process. */
export function ownerAlive(tag: string): boolean {
  const pid = Number(tag.split(".")[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  return ownerOf(pid) === tag;
}

/** Owner tag embedded in a temp or lease name, if any. */
export function ownerInName(name: string): string | undefined {
  const m = /^(?:\.tmp-)?(\d+\.\d+)-/.exec(name);
  return m?.[1];
}
