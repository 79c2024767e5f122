/**
 * A synchronous, push-style tar reader for layer extraction: bytes go in
 * with `push` (any chunking), entries come out as calls on a `TarSink`
 * (header, data slices of the input — never copied, end). No promise or
 * stream per entry. Reads what Go's archive/tar (umoci's reader) reads:
 * V7, ustar (with prefix), GNU (base-256 numbers, `L`/`K` long names) and
 * PAX (`x` records override path, linkpath, size, uid, gid; `g` global
 * records are skipped, as umoci skips them); header-only types (links, devices,
 * dirs, fifos) carry no data, as in Go. The archive ends at the first zero
 * block, or cleanly on a header boundary without one (umoci 0.4 omits the
 * end blocks).
 * @module
 */

import { ImageError } from "../errors.ts";
import type { TarHeader } from "./tar_read.ts";

/** Receives the entries of a tar, in order. */
export interface TarSink {
  /** A new entry; `header.size` bytes of data follow through `data`, then `end`. */
  entry(header: TarHeader): void;
  /** A slice of the current entry's data (valid only during the call). */
  data(chunk: Uint8Array): void;
  /** The current entry's data is complete. */
  end(): void;
}

const BLOCK = 512;
/** Largest PAX or GNU long-name record accepted (Go allows 1 MiB). */
const MAX_META = 1 << 20;
const TYPES: Record<number, string> = {
  0x30: "file",
  0: "file",
  0x31: "link",
  0x32: "symlink",
  0x33: "character-device",
  0x34: "block-device",
  0x35: "directory",
  0x36: "fifo",
  0x37: "contiguous-file",
  0x78: "pax-header",
  0x67: "pax-global-header",
  0x4c: "gnu-long-path",
  0x4b: "gnu-long-link-path",
};
/** Types whose size field is not followed by data (Go's isHeaderOnlyType). */
const HEADER_ONLY = new Set([
  "link",
  "symlink",
  "character-device",
  "block-device",
  "directory",
  "fifo",
]);
const utf8 = new TextDecoder();

type State = "header" | "data" | "meta" | "padding" | "done";

/** The push parser. Throws ImageError from `push`/`finish` on a malformed archive. */
export class TarParser {
  #state: State = "header";
  #head = new Uint8Array(BLOCK);
  #headFill = 0;
  /** Bytes of data (or metadata) still to come for the current entry. */
  #left = 0;
  /** Padding bytes still to skip after the data. */
  #pad = 0;
  #meta?: { kind: string; buf: Uint8Array; fill: number };
  #longName?: string;
  #longLink?: string;
  #pax?: Record<string, string>;

  constructor(private readonly sink: TarSink, private readonly what: string) {}

  /** True once the end-of-archive block was seen (later bytes are ignored). */
  get done(): boolean {
    return this.#state === "done";
  }

  /** Feed the next bytes of the archive. */
  push(chunk: Uint8Array): void {
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      switch (this.#state) {
        case "done":
          return;
        case "header": {
          // fast path: a whole header inside the chunk needs no copy
          let block: Uint8Array;
          if (this.#headFill === 0 && n - off >= BLOCK) {
            block = chunk.subarray(off, off + BLOCK);
            off += BLOCK;
          } else {
            const take = Math.min(BLOCK - this.#headFill, n - off);
            this.#head.set(chunk.subarray(off, off + take), this.#headFill);
            this.#headFill += take;
            off += take;
            if (this.#headFill < BLOCK) return;
            block = this.#head;
          }
          this.#headFill = 0;
          this.#header(block);
          break;
        }
        case "data": {
          const take = Math.min(this.#left, n - off);
          this.sink.data(chunk.subarray(off, off + take));
          off += take;
          this.#left -= take;
          if (this.#left === 0) this.#endData();
          break;
        }
        case "meta": {
          const m = this.#meta!;
          const take = Math.min(this.#left, n - off);
          m.buf.set(chunk.subarray(off, off + take), m.fill);
          m.fill += take;
          off += take;
          this.#left -= take;
          if (this.#left === 0) {
            this.#applyMeta(m.kind, m.buf);
            this.#meta = undefined;
            this.#afterData();
          }
          break;
        }
        case "padding": {
          const take = Math.min(this.#pad, n - off);
          off += take;
          this.#pad -= take;
          if (this.#pad === 0) this.#state = "header";
          break;
        }
      }
    }
  }

  /**
   * End of input. Accepts a missing end-of-archive marker when the input
   * stops on a header boundary (like Go's reader).
   * @throws {ImageError} the archive stops inside a header, an entry's data, or after a long-name record.
   */
  finish(): void {
    if (this.#state === "done") return;
    if (this.#state === "header" && this.#headFill === 0 && !this.#meta && !this.#pending()) return;
    throw bad(this.what, "truncated archive (unexpected end of data)");
  }

  #pending(): boolean {
    return this.#longName !== undefined || this.#longLink !== undefined || this.#pax !== undefined;
  }

  #header(b: Uint8Array): void {
    if (isZero(b)) {
      this.#state = "done";
      return;
    }
    const sum = octal(b, 148, 8);
    if (sum !== checksum(b, false) && sum !== checksum(b, true)) {
      throw bad(this.what, "invalid tar header checksum (not a tar, or still compressed?)");
    }
    const flag = b[156];
    let type = TYPES[flag];
    if (type === undefined) {
      throw bad(this.what, `unsupported tar entry type '${String.fromCharCode(flag)}'`);
    }
    const size = number(b, 124, 12);
    if (size < 0 || !Number.isSafeInteger(size)) throw bad(this.what, "invalid entry size");
    if (type === "pax-header" || type === "pax-global-header" || type.startsWith("gnu-long")) {
      if (size > MAX_META) throw bad(this.what, `${type} record too large (${size} bytes)`);
      this.#meta = { kind: type, buf: new Uint8Array(size), fill: 0 };
      this.#left = size;
      this.#pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (size === 0) {
        this.#applyMeta(type, this.#meta.buf);
        this.#meta = undefined;
        this.#afterData();
      } else this.#state = "meta";
      return;
    }
    let name = str(b, 0, 100);
    // ustar keeps a 155-byte prefix; GNU ("ustar  \0") uses that space for other fields
    if (isUstar(b) && b[345] !== 0) name = `${str(b, 345, 155)}/${name}`;
    const linkname = b[157] === 0 ? null : str(b, 157, 100);
    const h: TarHeader = {
      name,
      type,
      size,
      mode: number(b, 100, 8),
      uid: number(b, 108, 8),
      gid: number(b, 116, 8),
      mtime: new Date(number(b, 136, 12) * 1000),
      linkname,
      devmajor: number(b, 329, 8),
      devminor: number(b, 337, 8),
      pax: null,
    };
    // old tars mark directories only with a trailing slash
    if (flag === 0 && name.endsWith("/")) h.type = type = "directory";
    this.#applyLong(h);
    if (HEADER_ONLY.has(h.type)) h.size = 0;
    this.sink.entry(h);
    this.#left = h.size;
    this.#pad = (BLOCK - (h.size % BLOCK)) % BLOCK;
    if (h.size === 0) this.#endData();
    else this.#state = "data";
  }

  #applyLong(h: TarHeader): void {
    if (this.#longName !== undefined) h.name = this.#longName;
    if (this.#longLink !== undefined) h.linkname = this.#longLink;
    this.#longName = this.#longLink = undefined;
    const pax = this.#pax;
    this.#pax = undefined;
    if (!pax) return;
    if (Object.keys(pax).some((k) => k.startsWith("GNU.sparse."))) {
      throw bad(
        this.what,
        `"${pax.path ?? h.name}" is a sparse file, which tsbox does not support`,
      );
    }
    if (pax.path) h.name = pax.path;
    if (pax.linkpath) h.linkname = pax.linkpath;
    h.size = paxNumber(pax.size, h.size, "size", this.what);
    h.uid = paxNumber(pax.uid, h.uid, "uid", this.what);
    h.gid = paxNumber(pax.gid, h.gid, "gid", this.what);
    h.pax = pax;
  }

  #applyMeta(kind: string, buf: Uint8Array): void {
    if (kind === "gnu-long-path") this.#longName = cString(buf);
    else if (kind === "gnu-long-link-path") this.#longLink = cString(buf);
    else if (kind === "pax-header") this.#pax = { ...this.#pax, ...parsePax(buf, this.what) };
    // "pax-global-header": parsed for validity, applied to nothing (Go hands it over as an entry; umoci skips it)
    else parsePax(buf, this.what);
  }

  #endData(): void {
    this.sink.end();
    this.#afterData();
  }

  #afterData(): void {
    this.#state = this.#pad ? "padding" : "header";
  }
}

/** A malformed or truncated tar (so a caller that knows the archive's own name can say it). */
export class TarFormatError extends ImageError {
  constructor(what: string, readonly why: string) {
    super(`${what}: not a valid tar archive: ${why}`);
    this.name = "TarFormatError";
  }
}

function bad(what: string, why: string): TarFormatError {
  return new TarFormatError(what, why);
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function isUstar(b: Uint8Array): boolean {
  // "ustar\0" (POSIX); GNU writes "ustar  \0"
  return b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 &&
    b[261] === 0x72 && b[262] === 0;
}

/** Header checksum, the checksum field counted as spaces; old tars summed signed bytes. */
function checksum(b: Uint8Array, signed: boolean): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    sum += signed && b[i] > 127 ? b[i] - 256 : b[i];
  }
  return sum;
}

/** A NUL- or space-terminated octal field. */
function octal(b: Uint8Array, off: number, len: number): number {
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** A numeric field: octal, or GNU base-256 when the high bit of the first byte is set. */
function number(b: Uint8Array, off: number, len: number): number {
  if (!(b[off] & 0x80)) return octal(b, off, len);
  const negative = (b[off] & 0x40) !== 0;
  let v = 0;
  for (let i = off; i < off + len; i++) {
    // two's complement: the marker bit is part of a negative number's sign
    v = v * 256 + (negative ? 0xff - b[i] : i === off ? b[i] & 0x7f : b[i]);
  }
  return negative ? -(v + 1) : v;
}

function str(b: Uint8Array, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  // ASCII names (nearly all) need no decoder
  let ascii = true;
  for (let i = off; i < end; i++) {
    if (b[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.fromCharCode.apply(null, b.subarray(off, end) as unknown as number[]);
  return utf8.decode(b.subarray(off, end));
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return utf8.decode(end < 0 ? buf : buf.subarray(0, end));
}

/** PAX records: `LEN KEY=VALUE\n`, LEN counting the whole record. */
function parsePax(buf: Uint8Array, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break; // NUL padding after the last record
    let sp = off;
    while (sp < buf.length && buf[sp] !== 0x20) sp++;
    const len = Number(utf8.decode(buf.subarray(off, sp)));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > buf.length) {
      throw bad(what, "invalid PAX record");
    }
    const rec = buf.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq < 0 || buf[off + len - 1] !== 0x0a) throw bad(what, "invalid PAX record");
    out[utf8.decode(rec.subarray(0, eq))] = utf8.decode(rec.subarray(eq + 1));
    off += len;
  }
  return out;
}

function paxNumber(v: string | undefined, fallback: number, key: string, what: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw bad(what, `invalid PAX ${key} "${v}"`);
  return n;
}
