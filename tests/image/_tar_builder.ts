/**
 * Test helper: build tar archives in memory with tar-stream (layers with
 * whiteouts, devices, xattrs, malicious names; docker-archive and OCI
 * layouts).
 * @module
 */

import tar from "tar-stream";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { concatBytes } from "../../lib/bytes.ts";

/** One entry to put in a tar. */
export interface Entry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";
  data?: string | Uint8Array;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
  mtime?: Date;
}

/** Bytes of a tar holding `entries` (in order). */
export async function buildTar(entries: Entry[]): Promise<Uint8Array> {
  const pack = tar.pack();
  const out: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) out.push(chunk);
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const data = typeof e.data === "string"
      ? new TextEncoder().encode(e.data)
      : e.data ?? new Uint8Array();
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_600_000_000_000),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      pax: e.pax,
      size: type === "file" ? data.length : 0,
    };
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        header,
        type === "file" ? data : undefined,
        (err: unknown) => err ? reject(err) : resolve(),
      );
    });
  }
  pack.finalize();
  await collecting;
  return concatBytes(out);
}

/** gzip bytes. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}

/** `sha256:<hex>` of bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Bytes of a JSON document. */
export function json(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}
