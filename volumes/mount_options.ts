/**
 * Mount option strings (`nosuid,size=64m,mode=1777`) split into MS_* flags
 * and the fs-specific data string mount(2) takes, plus the small value
 * parsers docker's flags use (booleans, sizes, octal modes). Pure.
 * @module
 */

import {
  MS_BIND,
  MS_DIRSYNC,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
} from "../ffi/consts.ts";

/** Flag options: name → [set, clear] bits (as mount(8) and moby's mount.parseOptions). */
const FLAG_OPTIONS: Record<string, { set: number; clear: number }> = {
  ro: { set: MS_RDONLY, clear: 0 },
  rw: { set: 0, clear: MS_RDONLY },
  nosuid: { set: MS_NOSUID, clear: 0 },
  suid: { set: 0, clear: MS_NOSUID },
  nodev: { set: MS_NODEV, clear: 0 },
  dev: { set: 0, clear: MS_NODEV },
  noexec: { set: MS_NOEXEC, clear: 0 },
  exec: { set: 0, clear: MS_NOEXEC },
  sync: { set: MS_SYNCHRONOUS, clear: 0 },
  async: { set: 0, clear: MS_SYNCHRONOUS },
  dirsync: { set: MS_DIRSYNC, clear: 0 },
  mand: { set: MS_MANDLOCK, clear: 0 },
  nomand: { set: 0, clear: MS_MANDLOCK },
  noatime: { set: MS_NOATIME, clear: 0 },
  atime: { set: 0, clear: MS_NOATIME },
  nodiratime: { set: MS_NODIRATIME, clear: 0 },
  diratime: { set: 0, clear: MS_NODIRATIME },
  relatime: { set: MS_RELATIME, clear: 0 },
  norelatime: { set: 0, clear: MS_RELATIME },
  strictatime: { set: MS_STRICTATIME, clear: 0 },
  nostrictatime: { set: 0, clear: MS_STRICTATIME },
  defaults: { set: 0, clear: 0 },
  // only meaningful for local-driver volumes (`--opt o=bind`), refused for tmpfs
  bind: { set: MS_BIND, clear: 0 },
  rbind: { set: MS_BIND | MS_REC, clear: 0 },
};

/** tmpfs data options tsbox passes through to the kernel, with their value syntax. */
const TMPFS_DATA: Record<string, RegExp | null> = {
  size: /^\d+[kKmMgGtTpPeE%]?$/,
  nr_blocks: /^\d+[kKmMgGtTpPeE%]?$/,
  nr_inodes: /^\d+[kKmMgGtTpPeE%]?$/,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  huge: /^(never|always|within_size|advise|deny|force)$/,
  mpol: /^[a-z]+(:[0-9,-]+)?$/,
  inode64: null,
  inode32: null,
  noswap: null,
};

/** True when `opt` is a flag option (`ro`, `nosuid`, …). */
export function isFlagOption(opt: string): boolean {
  return Object.hasOwn(FLAG_OPTIONS, opt);
}

/** Flags and data of an option list; later options win (`noexec,exec` → exec). */
export function splitMountOptions(options: string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = Object.hasOwn(FLAG_OPTIONS, o) ? FLAG_OPTIONS[o] : undefined;
    if (f) flags = (flags & ~f.clear) | f.set;
    else if (o !== "") data.push(o);
  }
  return { flags, data: data.join(",") };
}

/**
 * Why a tmpfs option is invalid, or undefined when it is fine.
 * Used by `--tmpfs` so typos fail before anything is created.
 */
export function tmpfsOptionProblem(opt: string): string | undefined {
  if (opt === "bind" || opt === "rbind") return `"${opt}" is not a tmpfs option`;
  if (isFlagOption(opt)) return undefined;
  const eq = opt.indexOf("=");
  const key = eq < 0 ? opt : opt.slice(0, eq);
  if (!Object.hasOwn(TMPFS_DATA, key)) return `unknown tmpfs option "${opt}"`;
  const syntax = TMPFS_DATA[key];
  if (syntax === null) return eq < 0 ? undefined : `tmpfs option "${key}" takes no value`;
  if (eq < 0 || !syntax.test(opt.slice(eq + 1))) return `invalid value in tmpfs option "${opt}"`;
  return undefined;
}

/** Go's strconv.ParseBool, as docker uses for `readonly=…`; undefined when invalid. */
export function parseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/**
 * docker's units.RAMInBytes: `64m`, `1.5g`, `512kb`, `100` (bytes); binary
 * multiples. Undefined when invalid.
 */
export function ramInBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s);
  if (!m) return undefined;
  const exp = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** exp);
}

/** An octal file mode (`1777`, `0755`); undefined when invalid. */
export function parseOctalMode(s: string): number | undefined {
  return /^[0-7]{1,4}$/.test(s) ? parseInt(s, 8) : undefined;
}
