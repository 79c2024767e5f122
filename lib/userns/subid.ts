/**
 * /etc/subuid and /etc/subgid: the subordinate id ranges a user may map
 * (shadow's format `name-or-uid:start:count`, one range per line). Pure
 * parsing plus one read of each file.
 * @module
 */

/** A range of host ids. */
export interface IdRange {
  start: number;
  count: number;
}

/** The ranges of `user` (by name or uid) in subid file text. Pure. */
export function parseSubid(text: string, user: { name?: string; uid?: number }): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const [who, start, count] = t.split(":");
    if (who !== user.name && who !== String(user.uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) {
      out.push({ start: s, count: c });
    }
  }
  return out;
}

/** Read a subid file; a missing file has no ranges. */
export function readSubidFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return ""; // no ranges configured at all
    throw err;
  }
}

/** Whether [start, start+count) lies inside one of `ranges`. Pure. */
export function withinRanges(start: number, count: number, ranges: IdRange[]): boolean {
  return ranges.some((r) => start >= r.start && start + count <= r.start + r.count);
}
