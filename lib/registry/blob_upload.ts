/**
 * Upload one blob to a repository (distribution API push): `HEAD` to skip a
 * blob the registry has, a cross-repository mount (`POST ?mount=&from=`)
 * when the blob is known in another repository of the same registry, then
 * either a monolithic upload (`POST`, `PUT ?digest=` with the whole body) or
 * a chunked one (`PATCH` with `Content-Range`, then `PUT ?digest=`). A failed
 * chunk is resumed after asking the upload URL how much arrived (`GET` →
 * `Range: 0-N`); an upload the registry forgot starts over.
 * Needs read access to the blob file and network access to the registry.
 * @module
 */

import { ImageError } from "../errors.ts";
import type { RegistryClient } from "./client.ts";
import type { Descriptor } from "./manifest.ts";
import { errorSummary } from "./http_util.ts";
import { isTransientStatus, TransientError, withRetry } from "./retry.ts";

/** Default size of one PATCH (blobs up to this size go up in one PUT). */
export const DEFAULT_CHUNK = 16 * 1024 * 1024;

/** Options of `uploadBlob`. */
export interface UploadOptions {
  /** Bytes per PATCH; a blob no larger than this is uploaded monolithically. */
  chunkSize?: number;
  /** A repository of the same registry known to hold the blob (mount from it). */
  mountFrom?: string;
  /** Bytes the registry has acknowledged so far. */
  onProgress?: (done: number) => void;
  /** Told before each retry wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Told when an interrupted chunked upload continues at `offset`. */
  onResume?: (offset: number) => void;
}

/** What happened to the blob. */
export type UploadResult =
  | { status: "exists" }
  | { status: "mounted"; from: string }
  | { status: "pushed"; chunks: number };

/**
 * Make `desc` present in `client.repo`, reading its bytes from `file`.
 * @throws {ImageError} the registry refused the blob (digest invalid, denied…).
 * @throws {TransientError|TypeError} network failures once the retries are used up.
 */
export async function uploadBlob(
  client: RegistryClient,
  file: string,
  desc: Descriptor,
  opts: UploadOptions = {},
): Promise<UploadResult> {
  const policy = client.retryPolicy;
  if (await withRetry(policy, () => blobExists(client, desc), opts.onRetry)) {
    opts.onProgress?.(desc.size);
    return { status: "exists" };
  }
  let session = await withRetry(policy, () => startUpload(client, desc, opts.mountFrom));
  if (session.mounted) {
    opts.onProgress?.(desc.size);
    return { status: "mounted", from: opts.mountFrom! };
  }
  const chunk = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK);
  const f = await Deno.open(file);
  try {
    if (desc.size <= chunk) {
      const body = await readAt(f, 0, desc.size);
      await withRetry(policy, async (attempt) => {
        // a PUT that failed half-way leaves nothing usable: start a new session
        if (attempt > 1) session = await startUpload(client, desc, undefined);
        await finishUpload(client, session.location, desc, body);
      }, opts.onRetry);
      opts.onProgress?.(desc.size);
      return { status: "pushed", chunks: 1 };
    }
    let offset = 0;
    let chunks = 0;
    await withRetry(policy, async (attempt) => {
      if (attempt > 1) {
        const at = await uploadStatus(client, session.location);
        if (at) {
          session = { location: at.location, mounted: false };
          offset = at.offset;
        } else {
          session = await startUpload(client, desc, undefined);
          offset = 0;
        }
        opts.onResume?.(offset);
      }
      while (offset < desc.size) {
        const body = await readAt(f, offset, Math.min(chunk, desc.size - offset));
        session.location = await patchChunk(client, session.location, offset, body);
        offset += body.length;
        chunks++;
        opts.onProgress?.(offset);
      }
      await finishUpload(client, session.location, desc, new Uint8Array());
    }, opts.onRetry);
    return { status: "pushed", chunks };
  } finally {
    f.close();
  }
}

async function blobExists(client: RegistryClient, desc: Descriptor): Promise<boolean> {
  const res = await client.request(`/v2/${client.repo}/blobs/${desc.digest}`, { method: "HEAD" });
  await res.body?.cancel();
  if (res.status === 404) return false;
  await client.throwUnlessOk(res, `blob ${desc.digest}`);
  return true;
}

interface Session {
  location: string;
  mounted: boolean;
}

/** `POST …/blobs/uploads/` (with `?mount=&from=` when asked): 201 = mounted, 202 = a session. */
async function startUpload(
  client: RegistryClient,
  desc: Descriptor,
  mountFrom: string | undefined,
): Promise<Session> {
  const q = mountFrom
    ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}`
    : "";
  const res = await client.request(`/v2/${client.repo}/blobs/uploads/${q}`, {
    method: "POST",
    headers: { "content-length": "0" },
  });
  if (mountFrom && res.status === 201) {
    await res.body?.cancel();
    return { location: "", mounted: true };
  }
  if (res.status !== 202) {
    await client.throwUnlessOk(res, `upload of ${desc.digest}`);
    await res.body?.cancel();
    throw new ImageError(
      `upload of ${desc.digest}: ${client.endpoint.domain} answered ${res.status} instead of 202`,
    );
  }
  await res.body?.cancel();
  return { location: locationOf(client, res, desc.digest), mounted: false };
}

/** `PATCH` one chunk at `offset`; returns the next upload URL. */
async function patchChunk(
  client: RegistryClient,
  location: string,
  offset: number,
  body: Uint8Array,
): Promise<string> {
  const res = await client.request(location, {
    method: "PATCH",
    headers: {
      "content-type": "application/octet-stream",
      "content-range": `${offset}-${offset + body.length - 1}`,
    },
    body,
  });
  if (res.status === 416 || res.status === 404) {
    // the registry holds a different amount than we think (a chunk we saw fail did
    // arrive, or the HTTP stack resent it): resync through GET, or start over
    const why = await errorSummary(res, `${res.status}`);
    throw new TransientError(`upload chunk at ${offset} refused: ${why}`);
  }
  if (res.status !== 202) await client.throwUnlessOk(res, "upload chunk");
  await res.body?.cancel();
  return locationOf(client, res, "upload chunk");
}

/** `PUT location?digest=` with the last bytes (or none); 201 = done. */
async function finishUpload(
  client: RegistryClient,
  location: string,
  desc: Descriptor,
  body: Uint8Array,
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set("digest", desc.digest);
  const res = await client.request(url.href, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body,
  });
  if (res.status !== 201 && res.status !== 204) {
    await client.throwUnlessOk(res, `upload of ${desc.digest}`);
    throw new ImageError(
      `upload of ${desc.digest}: ${client.endpoint.domain} answered ${res.status} instead of 201`,
    );
  }
  await res.body?.cancel();
}

/**
 * `GET` the upload URL: how many bytes the registry holds (`Range: 0-N`,
 * N inclusive) and where to continue; undefined when the upload is gone.
 */
async function uploadStatus(
  client: RegistryClient,
  location: string,
): Promise<{ offset: number; location: string } | undefined> {
  const res = await client.request(location, {});
  await res.body?.cancel();
  if (res.status === 404 || res.status === 400) return undefined;
  if (isTransientStatus(res.status)) {
    throw new TransientError(`upload status: ${client.endpoint.domain} answered ${res.status}`);
  }
  if (res.status !== 204 && res.status !== 200) return undefined;
  const m = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.get("range") ?? "");
  // "0-0" is what distribution answers for an empty upload
  const end = m ? Number(m[1]) : -1;
  const offset = end > 0 ? end + 1 : 0;
  const next = res.headers.get("location");
  return { offset, location: next ? new URL(next, location).href : location };
}

function locationOf(client: RegistryClient, res: Response, what: string): string {
  const loc = res.headers.get("location");
  if (!loc) {
    throw new ImageError(`${what}: ${client.endpoint.domain} sent no upload location`);
  }
  return new URL(loc, client.endpoint.base).href;
}

async function readAt(f: Deno.FsFile, offset: number, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  await f.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < n) {
    const r = await f.read(buf.subarray(got));
    if (r === null) throw new ImageError(`blob file ended early (${got} of ${n} bytes)`);
    got += r;
  }
  return buf;
}
