/**
 * Synchronous tar for `cp`: a reader (ustar, PAX path/linkpath/size/xattrs,
 * GNU long names) over a blocking byte source, and a packer that walks one
 * source path with blocking calls. Synchronous because the `__cp` helper
 * runs inside a container's mount namespace on its main thread only (async
 * file ops would run on threads that see the host). Reading `trusted.*`
 * xattrs needs root.
 * @module
 */

import { CopyError } from "./copy_rules.ts";
import { padding, TAR_END, tarHeader, type TarWriteHeader } from "../image/tar_write.ts";
import { lgetxattr, llistxattr } from "../../ffi/xattr.ts";

/** One archive entry's header. */
export interface SyncEntry {
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: [string, Uint8Array][];
}

const dec = new TextDecoder();

/** Reads entries from `read` (returns bytes read into the buffer, or null at EOF). */
export class TarReaderSync {
  #read: (buf: Uint8Array) => number | null;
  #pending = 0;
  constructor(read: (buf: Uint8Array) => number | null) {
    this.#read = read;
  }

  /** Exactly `n` bytes, or throws on a short archive. */
  #take(n: number): Uint8Array {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = this.#read(buf.subarray(got));
      if (r === null || r === 0) throw new CopyError("invalid tar archive: unexpected end of data");
      got += r;
    }
    return buf;
  }

  /** The next entry's header, or null at the end of the archive. */
  next(): SyncEntry | null {
    if (this.#pending) this.skip();
    let pax: Record<string, Uint8Array> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      let block: Uint8Array;
      try {
        block = this.#take(512);
      } catch (err) {
        if (err instanceof CopyError && !Object.keys(pax).length) return null; // no end blocks
        throw err;
      }
      if (block.every((b) => b === 0)) return null;
      const h = parseHeader(block);
      if (h.typeflag === "x" || h.typeflag === "L" || h.typeflag === "K" || h.typeflag === "g") {
        const body = this.#take(h.size + padding(h.size)).subarray(0, h.size);
        if (h.typeflag === "x") pax = { ...pax, ...parsePax(body) };
        else if (h.typeflag === "L") longName = dec.decode(body).replace(/\0.*$/s, "");
        else if (h.typeflag === "K") longLink = dec.decode(body).replace(/\0.*$/s, "");
        continue;
      }
      if (longName) h.name = longName;
      if (longLink) h.linkname = longLink;
      if (pax.path) h.name = dec.decode(pax.path);
      if (pax.linkpath) h.linkname = dec.decode(pax.linkpath);
      if (pax.size) h.size = Number(dec.decode(pax.size));
      if (pax.uid) h.uid = Number(dec.decode(pax.uid));
      if (pax.gid) h.gid = Number(dec.decode(pax.gid));
      if (pax.mtime) h.mtime = Math.floor(Number(dec.decode(pax.mtime)));
      for (const [k, v] of Object.entries(pax)) {
        if (k.startsWith("SCHILY.xattr.")) h.xattrs.push([k.slice(13), v]);
      }
      this.#pending = h.typeflag === "0" || h.typeflag === "\0" || h.typeflag === "7" ? h.size : 0;
      this.#pending += this.#pending ? padding(h.size) : 0;
      return h;
    }
  }

  /** Pass the current entry's content to `fn` in chunks. */
  body(size: number, fn: (chunk: Uint8Array) => void): void {
    let left = size;
    while (left > 0) {
      const chunk = this.#take(Math.min(left, 256 * 1024));
      fn(chunk);
      left -= chunk.length;
    }
    this.#take(padding(size));
    this.#pending = 0;
  }

  /** Skip the current entry's content. */
  skip(): void {
    while (this.#pending > 0) {
      const n = Math.min(this.#pending, 256 * 1024);
      this.#take(n);
      this.#pending -= n;
    }
  }
}

function parseHeader(b: Uint8Array): SyncEntry {
  const str = (off: number, len: number) =>
    dec.decode(b.subarray(off, off + len)).replace(/\0.*$/s, "");
  const num = (off: number, len: number) => {
    if (b[off] & 0x80) {
      // base-256 (GNU) for big values
      let v = 0;
      for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
      return v;
    }
    const s = str(off, len).trim();
    return s ? parseInt(s, 8) : 0;
  };
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  if (sum !== num(148, 8)) throw new CopyError("invalid tar archive: header checksum mismatch");
  const prefix = str(257, 6) === "ustar" ? str(345, 155) : "";
  const name = str(0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    typeflag: String.fromCharCode(b[156] || 0x30),
    mode: num(100, 8),
    uid: num(108, 8),
    gid: num(116, 8),
    size: num(124, 12),
    mtime: num(136, 12),
    linkname: str(157, 100),
    devmajor: num(329, 8),
    devminor: num(337, 8),
    xattrs: [],
  };
}

function parsePax(body: Uint8Array): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  let off = 0;
  while (off < body.length) {
    let sp = off;
    while (sp < body.length && body[sp] !== 0x20) sp++;
    const len = Number(dec.decode(body.subarray(off, sp)));
    if (!len || off + len > body.length) break;
    const rec = body.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out[dec.decode(rec.subarray(0, eq))] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}

/**
 * Write the tree at `src` as a tar whose top entry is `base` (children
 * `base/…`); `follow` dereferences `src` itself when it is a symlink.
 * Device nodes and fifos are archived, never opened; sockets are skipped.
 */
export function packTreeSync(
  src: string,
  base: string,
  follow: boolean,
  write: (bytes: Uint8Array) => void,
): number {
  const links = new Map<string, string>();
  let total = 0;
  const out = (b: Uint8Array) => {
    total += b.length;
    write(b);
  };
  const visit = (path: string, name: string, st: Deno.FileInfo) => {
    if (st.isSocket) return;
    const h: TarWriteHeader = {
      name: st.isDirectory ? `${name}/` : name,
      typeflag: "0",
      mode: (st.mode ?? 0) & 0o7777,
      uid: st.uid ?? 0,
      gid: st.gid ?? 0,
      size: 0,
      mtime: Math.floor((st.mtime?.getTime() ?? 0) / 1000),
      pax: xattrsOf(path, st).map(([k, v]) => [`SCHILY.xattr.${k}`, v]),
    };
    const rdev = st.rdev ?? 0;
    if (st.isDirectory) h.typeflag = "5";
    else if (st.isSymlink) {
      h.typeflag = "2";
      h.linkname = Deno.readLinkSync(path);
    } else if (st.isCharDevice || st.isBlockDevice) {
      h.typeflag = st.isCharDevice ? "3" : "4";
      h.devmajor = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & 0xfffff000);
      h.devminor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
    } else if (st.isFifo) h.typeflag = "6";
    else if ((st.nlink ?? 1) > 1 && links.has(`${st.dev}:${st.ino}`)) {
      h.typeflag = "1";
      h.linkname = links.get(`${st.dev}:${st.ino}`);
    } else {
      if ((st.nlink ?? 1) > 1) links.set(`${st.dev}:${st.ino}`, name);
      h.size = st.size;
    }
    out(tarHeader(h));
    if (h.typeflag === "0") copyFile(path, h.size, out);
    if (!st.isDirectory) return;
    const names = [...Deno.readDirSync(path)].map((e) => e.name).sort();
    for (const n of names) {
      let cst: Deno.FileInfo;
      try {
        cst = Deno.lstatSync(`${path}/${n}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // removed while we walked
        throw err;
      }
      visit(`${path}/${n}`, `${name}/${n}`, cst);
    }
  };
  visit(src, base, follow ? Deno.statSync(src) : Deno.lstatSync(src));
  out(TAR_END);
  return total;
}

function xattrsOf(path: string, st: Deno.FileInfo): [string, Uint8Array][] {
  if (st.isSymlink) return [];
  const out: [string, Uint8Array][] = [];
  for (const name of llistxattr(path)) {
    // overlay's own bookkeeping (user.overlay.* too: layers carry both opaque markers)
    if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) continue;
    const v = lgetxattr(path, name);
    if (v) out.push([name, v]);
  }
  return out;
}

function copyFile(path: string, size: number, out: (b: Uint8Array) => void): void {
  const f = Deno.openSync(path);
  let sent = 0;
  try {
    const buf = new Uint8Array(256 * 1024);
    while (sent < size) {
      const n = f.readSync(buf.subarray(0, Math.min(buf.length, size - sent)));
      if (n === null || n === 0) break;
      out(buf.slice(0, n));
      sent += n;
    }
  } finally {
    f.close();
  }
  // a file that shrank while read: keep the archive well-formed
  if (sent < size) out(new Uint8Array(size - sent));
  out(new Uint8Array(padding(size)));
}
