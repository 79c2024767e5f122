/**
 * Staging of an outer archive (`load`): every regular file of the tar is
 * streamed to a numbered file in a staging dir inside the store (same
 * filesystem, so blobs are later moved in by rename) while its sha256 is
 * computed. Entry names are only used as keys, never as paths, so a hostile
 * archive cannot write anywhere by naming.
 * @module
 */

import { join, posix } from "node:path";
import { ImageError } from "../errors.ts";
import { DigestCounter } from "./digest.ts";
import { readTar } from "./tar_read.ts";

/** One staged file. */
export interface StagedFile {
  path: string;
  digest: string;
  size: number;
}

/** The staged archive: files by normalised name, symlinks resolved on lookup. */
export class StagedArchive {
  readonly files = new Map<string, StagedFile>();
  readonly links = new Map<string, string>();
  constructor(readonly dir: string) {}

  /** A file by name (following archive-internal symlinks/hardlinks), or undefined. */
  get(name: string): StagedFile | undefined {
    let n = normalizeName(name);
    for (let hops = 0; hops < 16 && n !== undefined; hops++) {
      const f = this.files.get(n);
      if (f) return f;
      n = this.links.get(n);
    }
    return undefined;
  }

  /**
   * A file by name; `expect` (a digest) is checked when given.
   * @throws {ImageError} missing or not matching.
   */
  need(name: string, what: string, expect?: string): StagedFile {
    const f = this.get(name);
    if (!f) throw new ImageError(`${what}: the archive has no file "${name}"`);
    if (expect && f.digest !== expect) {
      throw new ImageError(
        `${what}: digest mismatch for "${name}": expected ${expect}, content has ${f.digest}`,
      );
    }
    return f;
  }

  /**
   * A small file's bytes. @throws {ImageError} missing or larger than `limit`.
   */
  read(name: string, what: string, limit = 16 << 20): Uint8Array {
    const f = this.need(name, what);
    if (f.size > limit) throw new ImageError(`${what}: "${name}" is too large (${f.size} bytes)`);
    return Deno.readFileSync(f.path);
  }

  /** Parse a small JSON file. @throws {ImageError} missing or invalid JSON. */
  json<T>(name: string, what: string): T {
    try {
      return JSON.parse(new TextDecoder().decode(this.read(name, what))) as T;
    } catch (err) {
      // a corrupt archive: say which file
      if (err instanceof SyntaxError) {
        throw new ImageError(`${what}: "${name}" is not valid JSON`, { cause: err });
      }
      throw err;
    }
  }
}

/** `./a//b` → `a/b`; undefined for names that leave the archive root. */
export function normalizeName(name: string): string | undefined {
  const n = posix.normalize(`/${name}`).slice(1).replace(/\/$/, "");
  return n.startsWith("..") ? undefined : n;
}

/**
 * Stream the tar in `src` into `dir` (which must exist).
 * @throws {ImageError} invalid tar or empty input.
 */
export async function stageArchive(
  src: AsyncIterable<Uint8Array>,
  dir: string,
  what: string,
): Promise<StagedArchive> {
  const staged = new StagedArchive(dir);
  let n = 0;
  let total = 0;
  const counting = (async function* () {
    for await (const chunk of src) {
      total += chunk.length;
      yield chunk;
    }
  })();
  for await (const entry of readTar(counting, what)) {
    const h = entry.header;
    const name = normalizeName(h.name);
    if (name === undefined || name === "") continue;
    if (h.type === "symlink" || h.type === "link") {
      const target = h.type === "symlink"
        ? posix.join(posix.dirname(name), h.linkname ?? "")
        : h.linkname ?? "";
      const t = normalizeName(target);
      if (t !== undefined) staged.links.set(name, t);
      continue;
    }
    if (h.type !== "file" && h.type !== "contiguous-file") continue;
    const path = join(dir, String(n++));
    const counter = new DigestCounter();
    const f = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    try {
      for await (const chunk of entry) {
        counter.update(chunk);
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    } finally {
      f.close();
    }
    staged.files.set(name, { path, digest: counter.digest(), size: counter.size });
  }
  if (total === 0) throw new ImageError(`${what}: the archive is empty`);
  return staged;
}
