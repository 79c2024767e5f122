/**
 * `--group-add` inside the container: each value is a group name of the
 * image's /etc/group or a number, added to the process's supplementary
 * groups after its user was resolved (docker's order: the user's groups,
 * then the added ones). Pure; the caller reads /etc/group.
 * @module
 */

import { TsboxError } from "../errors.ts";
import { type Credentials, parseGroup } from "./user.ts";

/**
 * `creds` with the groups of `add` appended (no duplicates).
 * @throws {TsboxError} a name that /etc/group does not have (docker's wording, exit 125).
 */
export function withAddedGroups(creds: Credentials, add: string[], groupText: string): Credentials {
  if (!add.length) return creds;
  const groups = parseGroup(groupText);
  const out = [...creds.groups];
  for (const g of add) {
    let gid: number;
    if (/^[0-9]+$/.test(g)) gid = Number(g);
    else {
      const hit = groups.find((x) => x.name === g);
      if (!hit) {
        throw new TsboxError(`Unable to find group ${g}: no matching entries in group file`);
      }
      gid = hit.gid;
    }
    if (!out.includes(gid)) out.push(gid);
  }
  return { ...creds, groups: out };
}

/** Check the `--group-add` values before anything is created (a number in range, or a name). */
export function validGroupAdd(v: string): boolean {
  if (/^[0-9]+$/.test(v)) return Number(v) <= 0xfffffffe;
  return /^[^:,\s]+$/.test(v);
}
