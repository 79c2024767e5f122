/**
 * Resolve `-u` / image `User` against the container's /etc/passwd and
 * /etc/group, as docker does: `name`, `uid`, `name:group`, `uid:gid`;
 * supplementary groups from /etc/group membership. Pure parsing; the
 * caller reads the files (inside the rootfs).
 * @module
 */

import { TsboxError } from "../errors.ts";

/** Resolved credentials. */
export interface Credentials {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Parse /etc/passwd text. */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":")).filter((
    f,
  ) => f.length >= 6)
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] }));
}

/** Parse /etc/group text. */
export function parseGroup(text: string): { name: string; gid: number; members: string[] }[] {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":")).filter((
    f,
  ) => f.length >= 3)
    .map((f) => ({
      name: f[0],
      gid: Number(f[2]),
      members: (f[3] ?? "").split(",").filter(Boolean),
    }));
}

const NUM = /^[0-9]+$/;

/**
 * Resolve a user spec.
 * @throws {TsboxError} unknown user or group name (exit 125, docker's wording).
 */
export function resolveUser(spec: string, passwdText: string, groupText: string): Credentials {
  const [u, g] = spec === "" ? ["0", undefined] : spec.split(":", 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (NUM.test(u)) {
    uid = Number(u);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === u);
    if (!entry) {
      throw new TsboxError(`unable to find user ${u}: no matching entries in passwd file`);
    }
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== "") {
    if (NUM.test(g)) gid = Number(g);
    else {
      const grp = groups.find((x) => x.name === g);
      if (!grp) {
        throw new TsboxError(`unable to find group ${g}: no matching entries in group file`);
      }
      gid = grp.gid;
    }
  }
  const supplementary = g === undefined && entry
    ? groups.filter((x) => x.members.includes(entry!.name)).map((x) => x.gid)
    : [];
  const all = [gid, ...supplementary.filter((x) => x !== gid)];
  return { uid, gid, groups: all, home: entry?.home ?? "/" };
}
