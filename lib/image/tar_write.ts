/**
 * A small deterministic tar writer (POSIX ustar + PAX extended headers):
 * numeric ids, no user/group names, whole-second mtimes, no atime/ctime;
 * PAX records (raw bytes, e.g. binary xattrs) for long names, long link
 * targets, big ids or sizes and `SCHILY.xattr.*`. Pure: bytes out.
 * @module
 */

import { concatBytes } from "../bytes.ts";

/** One tar header. */
export interface TarWriteHeader {
  name: string;
  /** `0` file, `1` hard link, `2` symlink, `3` char, `4` block, `5` dir, `6` fifo. */
  typeflag: "0" | "1" | "2" | "3" | "4" | "5" | "6";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records (key → raw value). */
  pax?: [string, Uint8Array][];
}

const enc = new TextEncoder();
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** The header block(s) for `h`: a PAX header first when needed. */
export function tarHeader(h: TarWriteHeader): Uint8Array {
  const records: [string, Uint8Array][] = [];
  const name = enc.encode(h.name);
  const link = enc.encode(h.linkname ?? "");
  if (name.length > 100) records.push(["path", name]);
  if (link.length > 100) records.push(["linkpath", link]);
  if (h.uid > MAX_OCTAL_7) records.push(["uid", enc.encode(String(h.uid))]);
  if (h.gid > MAX_OCTAL_7) records.push(["gid", enc.encode(String(h.gid))]);
  if (h.size > MAX_OCTAL_11) records.push(["size", enc.encode(String(h.size))]);
  records.push(...(h.pax ?? []));
  const main = ustar({
    name: name.length > 100 ? name.subarray(0, 100) : name,
    typeflag: h.typeflag,
    mode: h.mode,
    uid: Math.min(h.uid, MAX_OCTAL_7),
    gid: Math.min(h.gid, MAX_OCTAL_7),
    size: Math.min(h.size, MAX_OCTAL_11),
    mtime: h.mtime,
    linkname: link.length > 100 ? link.subarray(0, 100) : link,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  });
  if (!records.length) return main;
  const body = paxBody(records);
  const paxHead = ustar({
    name: enc.encode("PaxHeaders/" + h.name.split("/").filter(Boolean).pop()).subarray(0, 100),
    typeflag: "x",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: h.mtime,
    linkname: new Uint8Array(),
    devmajor: 0,
    devminor: 0,
  });
  return concatBytes([paxHead, body, new Uint8Array(padding(body.length)), main]);
}

/** Zero bytes that pad `size` bytes of content to a 512-byte block. */
export function padding(size: number): number {
  return (512 - (size % 512)) % 512;
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = new Uint8Array(1024);

interface Raw {
  name: Uint8Array;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: Uint8Array;
  devmajor: number;
  devminor: number;
}

function ustar(r: Raw): Uint8Array {
  const b = new Uint8Array(512);
  b.set(r.name, 0);
  octal(b, 100, 8, r.mode);
  octal(b, 108, 8, r.uid);
  octal(b, 116, 8, r.gid);
  octal(b, 124, 12, r.size);
  octal(b, 136, 12, Math.max(0, Math.min(r.mtime, MAX_OCTAL_11)));
  b.fill(0x20, 148, 156);
  b[156] = r.typeflag.charCodeAt(0);
  b.set(r.linkname, 157);
  b.set(enc.encode("ustar\u000000"), 257);
  octal(b, 329, 8, r.devmajor);
  octal(b, 337, 8, r.devminor);
  let sum = 0;
  for (const x of b) sum += x;
  b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\u0000 "), 148);
  return b;
}

function octal(b: Uint8Array, off: number, len: number, v: number): void {
  b.set(enc.encode(Math.floor(v).toString(8).padStart(len - 1, "0") + "\u0000"), off);
}

/** PAX records `LEN KEY=VALUE\n`, LEN counting itself. */
function paxBody(records: [string, Uint8Array][]): Uint8Array {
  const parts = records.map(([k, v]) => {
    const rest = enc.encode(` ${k}=`).length + v.length + 1;
    let len = rest + 1;
    while (String(len).length + rest !== len) len = String(len).length + rest;
    return concatBytes([enc.encode(`${len} ${k}=`), v, enc.encode("\n")]);
  });
  return concatBytes(parts);
}
