/**
 * Turn walked layer entries into a deterministic OCI layer tar: entries in
 * walk (sorted) order, numeric uid/gid without user names, mtimes as they
 * are and no atime/ctime, whiteouts as `.wh.NAME`, opaque directories as
 * `DIR/.wh..wh..opq` right after the directory, hard links as link entries,
 * xattrs as PAX `SCHILY.xattr.*` records (raw bytes). Same input, same bytes.
 * @module
 */

import type { WalkEntry } from "./layer_walk.ts";
import { padding, TAR_END, tarHeader, type TarWriteHeader } from "./tar_write.ts";

const FLAGS: Record<string, TarWriteHeader["typeflag"]> = {
  dir: "5",
  file: "0",
  symlink: "2",
  char: "3",
  block: "4",
  fifo: "6",
};

/**
 * Write the tar of `entries` to `sink` (chunk by chunk, in order).
 * @throws whatever reading a file or the sink throws.
 */
export async function packLayer(
  entries: AsyncIterable<WalkEntry>,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  for await (const e of entries) await addEntry(e, sink);
  await sink(TAR_END);
}

async function addEntry(e: WalkEntry, sink: (c: Uint8Array) => Promise<void>): Promise<void> {
  const slash = e.path.lastIndexOf("/");
  const parent = slash < 0 ? "" : e.path.slice(0, slash + 1);
  const marker = (name: string) =>
    sink(tarHeader({ name, typeflag: "0", mode: 0, uid: 0, gid: 0, size: 0, mtime: e.mtime }));
  if (e.type === "whiteout") return await marker(`${parent}.wh.${e.path.slice(slash + 1)}`);
  const isData = e.type === "file" && !e.hardlinkOf;
  await sink(tarHeader({
    name: e.type === "dir" ? `${e.path}/` : e.path,
    typeflag: e.hardlinkOf ? "1" : FLAGS[e.type],
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: e.mtime,
    size: isData ? e.size : 0,
    linkname: e.hardlinkOf ?? e.linkname,
    devmajor: e.devmajor,
    devminor: e.devminor,
    pax: e.xattrs.map(([k, v]) => [`SCHILY.xattr.${k}`, v]),
  }));
  if (isData) await copyBody(e, sink);
  if (e.type === "dir" && e.opaque) await marker(`${e.path}/.wh..wh..opq`);
}

/** Exactly `e.size` bytes (a file that changed size while read is cut or zero-padded). */
async function copyBody(e: WalkEntry, sink: (c: Uint8Array) => Promise<void>): Promise<void> {
  const f = await e.open!();
  let sent = 0;
  try {
    const buf = new Uint8Array(256 * 1024);
    while (sent < e.size) {
      const n = await f.read(buf.subarray(0, Math.min(buf.length, e.size - sent)));
      if (n === null) break;
      await sink(buf.slice(0, n));
      sent += n;
    }
  } finally {
    f.close();
  }
  if (sent < e.size) await sink(new Uint8Array(e.size - sent));
  await sink(new Uint8Array(padding(e.size)));
}
