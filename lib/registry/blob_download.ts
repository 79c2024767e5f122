/**
 * Download one blob into the store: stream to the store's stable partial
 * file while hashing, resume a partial file with `Range` (when the registry
 * answers 206), retry transient failures, verify sha256 and size, then let
 * the store adopt the file (atomic rename; the digest was computed while
 * writing, so adopting reads nothing again). A digest mismatch deletes the
 * partial file; a cut-off download keeps it for the next attempt. A `tee`
 * sees the same bytes as they arrive (a layer unpacks while it downloads).
 * Needs write access to the state root.
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { dirname } from "../posix_path.ts";
import { ImageError } from "../errors.ts";
import { removeIfExists, withLock } from "../fsutil.ts";
import { blobLockPath } from "../image/partials.ts";
import type { RegistryClient } from "./client.ts";
import { describe, sha256Hex } from "./http_util.ts";
import type { Descriptor } from "./manifest.ts";
import { TransientError, withRetry } from "./retry.ts";

/**
 * A download that failed for network reasons after the retries (registry
 * gone, connection cut): what was downloaded is worth keeping for a resume.
 */
export class TransferError extends ImageError {
  constructor(message: string, opts: { cause?: unknown; hint?: string } = {}) {
    super(message, opts);
    this.name = "TransferError";
  }
}

/** The part of the image store a download needs. */
export interface BlobSink {
  hasBlob(digest: string): boolean | Promise<boolean>;
  partialPath(digest: string): string;
  /** Move `tempFile` in as `digest`; `verified`: its content was already checked against it. */
  adoptBlob(digest: string, tempFile: string, opts?: { verified?: boolean }): Promise<unknown>;
}

/**
 * A consumer of a blob's bytes as they are downloaded: it gets bytes 0…n
 * of the blob, in order, exactly as they go into the partial file — until
 * a download resumes or restarts elsewhere than where it stopped, which
 * `invalidate`s it. Nothing it does can fail the download.
 */
export interface DownloadTee {
  /** Bytes given so far. */
  readonly fed: number;
  /**
   * The next bytes (already hashed and written: the tee may take the chunk
   * over, e.g. transfer its buffer to a worker); a returned promise is
   * awaited before reading on (backpressure).
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** The bytes can no longer continue from `fed`: stop. */
  invalidate(): void;
}

/** Callbacks and limits of one download. */
export interface DownloadOptions {
  /** Directory for the per-blob lock (two pulls of one blob take turns). */
  lockDir: string;
  /** Bytes present so far (including resumed ones); called often. */
  onProgress?: (done: number) => void;
  /** Told before each retry wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Cancels the download (the partial file is kept). */
  signal?: AbortSignal;
  /** Abort a download that received nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Sees the downloaded bytes as they arrive. */
  tee?: DownloadTee;
}

/** Outcome: the blob was already stored, or it was downloaded (and how many bytes were resumed). */
export type DownloadResult = { status: "exists" } | { status: "downloaded"; resumedFrom: number };

const MAX_CONFIG = 16 * 1024 * 1024;

/**
 * Make sure the blob `desc` is in the store, downloading it if needed.
 * @throws {ImageError} digest or size mismatch (naming the digest), not found, unauthorized.
 * @throws {TransferError} network failures after the retries are used up (naming the digest).
 */
export async function downloadBlob(
  client: RegistryClient,
  sink: BlobSink,
  desc: Descriptor,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  if (await sink.hasBlob(desc.digest)) return { status: "exists" };
  const lock = blobLockPath(opts.lockDir, desc.digest);
  return await withLock(lock, async () => {
    // another pull may have finished it while we waited for the lock
    if (await sink.hasBlob(desc.digest)) {
      removeIfExists(lock);
      return { status: "exists" } as const;
    }
    const partial = sink.partialPath(desc.digest);
    Deno.mkdirSync(dirname(partial), { recursive: true });
    let resumedFrom = -1;
    try {
      await withRetry(client.retryPolicy, async () => {
        try {
          const from = await attempt(client, desc, partial, opts);
          if (resumedFrom < 0) resumedFrom = from;
        } catch (err) {
          // cancelled by the caller (another layer failed): not worth a retry
          if (opts.signal?.aborted) {
            // it failed writing locally (a full disk): a partial kept to resume only holds space
            if (causedLocally(opts.signal.reason)) removeIfExists(partial);
            throw new ImageError(`download of ${desc.digest} cancelled`, { cause: err });
          }
          throw err;
        }
      }, opts.onRetry);
    } catch (err) {
      if (err instanceof ImageError) throw err;
      throw new TransferError(
        `failed to download ${desc.digest} from ${client.endpoint.domain}: ${describe(err)}`,
        {
          cause: err,
          hint: "the partial download is kept; pulling again resumes it",
        },
      );
    }
    await sink.adoptBlob(desc.digest, partial, { verified: true });
    // unlinked while held: a waiter on this inode re-checks hasBlob and finds the blob
    removeIfExists(lock);
    return { status: "downloaded", resumedFrom: Math.max(0, resumedFrom) } as const;
  });
}

/** One attempt: resume or restart, stream, verify. Returns the offset it started from. */
async function attempt(
  client: RegistryClient,
  desc: Descriptor,
  partial: string,
  opts: DownloadOptions,
): Promise<number> {
  let offset = sizeOf(partial);
  if (offset > desc.size) offset = truncate(partial);
  const hash = createHash("sha256");
  if (offset > 0) await hashFile(partial, hash);
  if (offset === desc.size) {
    // a previous run got every byte but stopped before adopting
    if (`sha256:${hash.digest("hex")}` === desc.digest) return offset;
    return restart(client, desc, partial, opts);
  }
  const idle = linkedController(opts.signal);
  const res = await client.openBlob(desc.digest, offset, idle.signal);
  if (offset > 0 && res.status === 200) {
    // the registry ignored the range and sends everything: take it from byte 0
    truncate(partial);
    await stream(res, partial, createHash("sha256"), 0, desc, opts, idle);
    return 0;
  }
  if (offset > 0 && !resumable(res, offset)) {
    // a range answer we cannot use: start over
    await res.body?.cancel();
    return restart(client, desc, partial, opts);
  }
  if (res.status === 416) {
    await res.body?.cancel();
    return restart(client, desc, partial, opts);
  }
  await stream(res, partial, hash, offset, desc, opts, idle);
  return offset;
}

/** Drop the partial file and fetch from byte 0 (one more request, same attempt). */
async function restart(
  client: RegistryClient,
  desc: Descriptor,
  partial: string,
  opts: DownloadOptions,
): Promise<number> {
  truncate(partial);
  const idle = linkedController(opts.signal);
  const res = await client.openBlob(desc.digest, 0, idle.signal);
  await stream(res, partial, createHash("sha256"), 0, desc, opts, idle);
  return 0;
}

/** A controller that also aborts when `parent` does. */
function linkedController(parent?: AbortSignal): AbortController {
  const ctl = new AbortController();
  if (parent?.aborted) ctl.abort(parent.reason);
  parent?.addEventListener("abort", () => ctl.abort(parent.reason), { once: true });
  return ctl;
}

function resumable(res: Response, offset: number): boolean {
  if (res.status !== 206) return false;
  const m = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
  return !!m && Number(m[1]) === offset;
}

/** The message of an error writing the local file (full disk, quota, I/O), else undefined. */
function localWriteError(err: unknown): string | undefined {
  const code = (err as { code?: string })?.code;
  const local = ["ENOSPC", "EDQUOT", "EIO", "EFBIG", "EROFS"];
  return code && local.includes(code) ? (err as Error).message : undefined;
}

/** True when `err` or one of its causes is a local write error. */
function causedLocally(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) {
    if (localWriteError(e)) return true;
  }
  return false;
}

/** Append the body to `partial`, hashing and counting; verify at the end. */
async function stream(
  res: Response,
  partial: string,
  hash: Hash,
  offset: number,
  desc: Descriptor,
  opts: DownloadOptions,
  idle: AbortController,
): Promise<void> {
  if (!res.body) throw new TransientError(`empty response for ${desc.digest}`);
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(
    () => idle.abort(new DOMException("download stalled", "TimeoutError")),
    idleMs,
  );
  let done = offset;
  const tee = opts.tee;
  if (tee && tee.fed !== offset) tee.invalidate();
  const file = Deno.openSync(partial, { write: true, create: true, append: true, mode: 0o600 });
  try {
    for await (const chunk of res.body) {
      clearTimeout(timer);
      timer = setTimeout(
        () => idle.abort(new DOMException("download stalled", "TimeoutError")),
        idleMs,
      );
      done += chunk.length;
      if (done > desc.size) {
        throw new ImageError(
          `failed to verify ${desc.digest}: registry sent more than the ${desc.size} bytes the manifest declares`,
        );
      }
      hash.update(chunk);
      // a synchronous write of the chunk as it came: no copy, no extra hop through a stream
      for (let off = 0; off < chunk.length;) off += file.writeSync(chunk.subarray(off));
      const more = tee?.write(chunk);
      if (more) await more;
      opts.onProgress?.(done);
    }
  } catch (err) {
    if (err instanceof ImageError) Deno.removeSync(partial);
    const local = localWriteError(err);
    if (local) {
      // not the network's fault, and a retry or resume would only fail again: keep nothing
      removeIfExists(partial);
      throw new ImageError(`writing ${desc.digest} into the image store failed: ${local}`, {
        cause: err,
        hint: "free space under the state root, then pull again",
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    file.close();
  }
  if (done < desc.size) {
    throw new TransientError(
      `download of ${desc.digest} ended early (${done} of ${desc.size} bytes)`,
    );
  }
  const got = `sha256:${hash.digest("hex")}`;
  if (got !== desc.digest) {
    Deno.removeSync(partial);
    throw new ImageError(`failed to verify ${desc.digest}: downloaded content has digest ${got}`, {
      hint: "the registry's copy is corrupt or was replaced; nothing was stored",
    });
  }
}

/**
 * Fetch a small blob (the image config) into memory and verify it.
 * @throws {ImageError} too big, size or digest mismatch, not found, unauthorized.
 */
export async function fetchSmallBlob(
  client: RegistryClient,
  desc: Descriptor,
): Promise<Uint8Array> {
  if (desc.size > MAX_CONFIG) {
    throw new ImageError(`config blob ${desc.digest} is too large (${desc.size} bytes)`);
  }
  try {
    return await withRetry(client.retryPolicy, async () => {
      const res = await client.openBlob(desc.digest, 0);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length < desc.size) {
        throw new TransientError(`download of ${desc.digest} ended early`);
      }
      const got = `sha256:${sha256Hex(bytes)}`;
      if (bytes.length !== desc.size || got !== desc.digest) {
        throw new ImageError(
          `failed to verify ${desc.digest}: downloaded content has digest ${got} (${bytes.length} bytes)`,
        );
      }
      return bytes;
    });
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new TransferError(
      `failed to download ${desc.digest} from ${client.endpoint.domain}: ${describe(err)}`,
      { cause: err },
    );
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    // no partial file yet: start from 0
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

function truncate(path: string): number {
  Deno.writeFileSync(path, new Uint8Array(), { mode: 0o600 });
  return 0;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  const f = await Deno.open(path, { read: true });
  for await (const chunk of f.readable) hash.update(chunk);
}
