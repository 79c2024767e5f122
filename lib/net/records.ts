/**
 * tsbox's record of each attachment, `attachments/<containerId>.json` for
 * the container's eth0 and `<containerId>@<ifname>.json` for its further
 * interfaces (`network connect`), written before the first plugin runs (state `adding`) and completed after
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

/** Interface whose record (and netns handle) keeps the container id's bare name. */
const FIRST_IFNAME = "eth0";

/**
 * The name of the attachment of `containerId`'s interface `ifname` among
 * records and netns handles: the id for eth0 (as before multi-network
 * containers), `<id>@<ifname>` otherwise (`@` is in neither a CNI
 * container id nor an interface name).
 */
export function attachmentKey(containerId: string, ifname = FIRST_IFNAME): string {
  return ifname === FIRST_IFNAME ? containerId : `${containerId}@${ifname}`;
}

/** Path of the record of `containerId`'s interface `ifname` (default eth0) in `dir`. */
export function recordPathIn(dir: string, containerId: string, ifname?: string): string {
  return join(dir, `${attachmentKey(containerId, ifname)}.json`);
}

/** True when file name `name` (of a record or netns handle) belongs to `containerId`. */
export function isKeyOf(name: string, containerId: string): boolean {
  const base = name.replace(/\.json$/, "");
  return base === containerId || base.startsWith(`${containerId}@`);
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

/** The records of `containerId` in `dir` (every interface). */
export function recordsOf(dir: string, containerId: string): AttachmentRecord[] {
  return listRecords(dir).filter((r) => r.attachment.containerId === containerId);
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
