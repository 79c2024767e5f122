/**
 * Leases protect content a process is still ingesting (written blobs,
 * unpacked layers not yet referenced by an image) from a concurrent GC.
 * A lease is a file `leases/<owner>-<uuid>` listing digests, one per line;
 * the digest is appended *before* the content is renamed into place, and
 * GC lists content *before* reading leases, so GC never sees new content
 * without its lease. A lease whose process died is stale and ignored.
 * @module
 */

import { join } from "../posix_path.ts";
import { ownerAlive, ownerInName, processOwner, type StoreLayout } from "./store_layout.ts";
import { removeIfExists } from "../fsutil.ts";

/** The lease of one ImageStore instance (created on first use). */
export class Lease {
  #file?: string;
  #seen = new Set<string>();
  constructor(private readonly layout: StoreLayout) {}

  /** Record that this process is working with `digest` (blob digest or diff id). */
  add(digest: string): void {
    if (this.#seen.has(digest)) return;
    if (!this.#file) {
      Deno.mkdirSync(this.layout.leaseDir, { recursive: true });
      this.#file = join(this.layout.leaseDir, `${processOwner()}-${crypto.randomUUID()}`);
    }
    // O_APPEND of one short line: readers see whole lines
    Deno.writeTextFileSync(this.#file, `${digest}\n`, { append: true, create: true });
    this.#seen.add(digest);
  }

  /** Drop the lease (content must be referenced by an image by now, or is garbage). */
  release(): void {
    if (this.#file) removeIfExists(this.#file);
    this.#file = undefined;
    this.#seen.clear();
  }
}

/**
 * Digests held by live leases; stale lease files are removed on the way.
 * Call with the store lock held.
 */
export function leasedDigests(layout: StoreLayout): Set<string> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = [...Deno.readDirSync(layout.leaseDir)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out; // nothing was ever leased
    throw err;
  }
  for (const name of names) {
    const path = join(layout.leaseDir, name);
    const owner = ownerInName(name);
    if (!owner || !ownerAlive(owner)) {
      removeIfExists(path);
      continue;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // released meanwhile
      throw err;
    }
    for (const line of text.split("\n")) if (line) out.add(line);
  }
  return out;
}
