/**
 * tsbox's record of each attachment, `attachments/<containerId>.json`,
 * written before the first plugin runs (state `adding`) and completed after
 * ADD (`attached`). It holds the conflist and result the DEL needs, so an
 * attachment can be torn down after a crash even when the run path never
 * saved the `NetworkAttachment`, and the /etc/hosts inputs used to keep the
 * network's hosts files current.
 * @module
 */

import { join } from "../posix_path.ts";
import { readJsonIfExists, removeIfExists, writeJsonAtomic } from "../fsutil.ts";
import type { Conflist } from "./conflist.ts";
import type { NetworkAttachment } from "./types.ts";

/** One attachment record. */
export interface AttachmentRecord {
  state: "adding" | "attached";
  attachment: NetworkAttachment;
  /** The conflist as used for ADD (DEL must use the same). */
  conflist: Conflist;
  /** Set by `writeEtcFiles`: the container's hosts file and what it is built from. */
  hosts?: { path: string; hostname: string; extraHosts: { name: string; ip: string }[] };
}

/** Path of the record of `containerId` in `dir`. */
export function recordPathIn(dir: string, containerId: string): string {
  return join(dir, `${containerId}.json`);
}

/** Read a record, or `undefined` when absent. */
export function readRecord(path: string): AttachmentRecord | undefined {
  return readJsonIfExists<AttachmentRecord>(path);
}

/** Write a record atomically. */
export function writeRecord(path: string, rec: AttachmentRecord): void {
  writeJsonAtomic(path, rec, 0o600);
}

/** Remove a record (missing is fine). */
export function removeRecord(path: string): void {
  removeIfExists(path);
}

/** All records in `dir`. */
export function listRecords(dir: string): AttachmentRecord[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return []; // nothing was ever attached
    throw err;
  }
  const out: AttachmentRecord[] = [];
  for (const e of entries) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    const rec = readRecord(join(dir, e.name));
    if (rec) out.push(rec);
  }
  return out;
}
