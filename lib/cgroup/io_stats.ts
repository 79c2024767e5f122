/**
 * Block I/O counters of a container's cgroup, as `docker stats` shows them
 * (BLOCK I/O: bytes read / written): v1 blkio's `io_service_bytes` files
 * (bfq, cfq, then throttle — runc's order; the first that has entries),
 * v2's `io.stat` (rbytes/wbytes per device). Parsing is pure.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CgroupFs } from "./fs.ts";
import { readOptional } from "./apply.ts";

/** Bytes read and written, summed over devices. */
export interface IoBytes {
  read: number;
  write: number;
}

/** v1 files, in the order runc reads them. */
export const V1_IO_FILES = [
  "blkio.bfq.io_service_bytes_recursive",
  "blkio.io_service_bytes_recursive",
  "blkio.throttle.io_service_bytes_recursive",
  "blkio.throttle.io_service_bytes",
] as const;

/** `MAJ:MIN Read N` lines of a v1 io_service_bytes file; undefined when it has no device line. */
export function parseV1IoServiceBytes(text: string): IoBytes | undefined {
  let read = 0;
  let write = 0;
  let devices = 0;
  for (const line of text.split("\n")) {
    const m = /^\d+:\d+ (Read|Write) (\d+)$/.exec(line.trim());
    if (!m) continue;
    devices++;
    if (m[1] === "Read") read += Number(m[2]);
    else write += Number(m[2]);
  }
  return devices ? { read, write } : undefined;
}

/** v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N …` per device. */
export function parseIoStat(text: string): IoBytes {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    read += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
    write += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return { read, write };
}

/** v1: the first blkio file with device entries in `dir` (none: zeros). */
export function readIoV1(fs: CgroupFs, dir: string | undefined): IoBytes {
  if (!dir) return { read: 0, write: 0 };
  for (const f of V1_IO_FILES) {
    const text = readOptional(fs, join(dir, f));
    const got = text === undefined ? undefined : parseV1IoServiceBytes(text);
    if (got) return got;
  }
  return { read: 0, write: 0 };
}

/** v2: io.stat of `dir` (absent without the io controller: zeros). */
export function readIoV2(fs: CgroupFs, dir: string): IoBytes {
  return parseIoStat(readOptional(fs, join(dir, "io.stat")) ?? "");
}

/** The `CgroupStats` fields of `io`. */
export function blkio(io: IoBytes): { blkioRead: number; blkioWrite: number } {
  return { blkioRead: io.read, blkioWrite: io.write };
}
