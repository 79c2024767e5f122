/**
 * Devices of a container from docker flags: `--device HOST[:CTR[:PERMS]]`
 * (a host node, or every node under a host directory, made in the
 * container and allowed in its device cgroup) and `--device-cgroup-rule
 * 'c 1:3 rwm'` (an allow rule without a node), and the full rule and node
 * lists a container gets. Parsing stats the host path; nothing is changed.
 * @module
 */

import * as posix from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import type { LinuxDevice, LinuxDeviceCgroup } from "./spec.ts";
import { DEFAULT_DEVICE_RULES, DEFAULT_DEVICES } from "./defaults.ts";

/** One host device passed with `--device`: the node to make and the rule allowing it. */
export interface DeviceMapping {
  /** The node in the container (path, type, major/minor, mode, owner as on the host). */
  device: LinuxDevice;
  /** `allow <type> <major>:<minor> <perms>`. */
  rule: LinuxDeviceCgroup;
}

/** What parsing needs from the host filesystem (tests pass a fake). */
export interface DeviceHostFs {
  /** realpath(3). Throws Deno.errors.NotFound when missing. */
  realPath(path: string): string;
  /** lstat(2). */
  lstat(path: string): Deno.FileInfo;
  /** Entry names of a directory. */
  readDir(path: string): string[];
}

/** The real host filesystem (needs read access to the paths). */
export const hostDeviceFs: DeviceHostFs = {
  realPath: (p) => Deno.realPathSync(p),
  lstat: (p) => Deno.lstatSync(p),
  readDir: (p) => [...Deno.readDirSync(p)].map((e) => e.name),
};

const S_IFMT = 0o170000;

/** `r`, `w`, `m`, each at most once, at least one (docker's validDeviceMode). */
function isPerms(s: string): boolean {
  return s !== "" && s.length <= 3 && /^[rwm]+$/.test(s) && new Set(s).size === s.length;
}

/**
 * Parse one `--device` value, docker's way: `HOST`, `HOST:CTR`,
 * `HOST:PERMS` or `HOST:CTR:PERMS`; PERMS ⊆ rwm (default rwm); CTR
 * defaults to HOST and must be absolute. A symlink HOST is resolved (the
 * node keeps the name given); a directory HOST yields every char/block
 * node below it, renamed under CTR.
 * @throws {UsageError} one line: `invalid argument "<value>" for "--device" flag: <why>`.
 */
export function parseDeviceFlag(value: string, fs: DeviceHostFs): DeviceMapping[] {
  const bad = (why: string) =>
    new UsageError(`invalid argument "${value}" for "--device" flag: ${why}`);
  const parts = value.split(":");
  if (parts.length > 3 || parts[0] === "") {
    throw bad("expected HOST[:CONTAINER[:PERMISSIONS]]");
  }
  const host = parts[0];
  let ctr = host;
  let perms = "rwm";
  if (parts.length === 2) {
    if (isPerms(parts[1])) perms = parts[1];
    else ctr = parts[1];
  } else if (parts.length === 3) {
    ctr = parts[1];
    perms = parts[2];
    if (!isPerms(perms)) throw bad(`bad permissions "${perms}" (a subset of rwm)`);
  }
  if (!posix.isAbsolute(host)) throw bad(`${host} is not an absolute path`);
  if (!posix.isAbsolute(ctr)) throw bad(`${ctr} is not an absolute path`);
  ctr = posix.normalize(ctr);
  if (ctr === "/") throw bad("the container path cannot be /");

  let real: string;
  let info: Deno.FileInfo;
  try {
    real = fs.realPath(host);
    info = fs.lstat(real);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw bad("no such device");
    if (err instanceof Deno.errors.PermissionDenied) throw bad("permission denied");
    throw bad(err instanceof Error ? err.message : String(err));
  }
  const one = node(ctr, info, perms);
  if (one) return [one];
  if (!info.isDirectory) throw bad(`${host} is not a character or block device`);
  const found = walk(fs, real, ctr, perms);
  if (found.length === 0) throw bad(`no character or block devices in ${host}`);
  return found;
}

/** Every char/block node below `dir` (sorted, symlinks not followed), renamed under `ctr`. */
function walk(fs: DeviceHostFs, dir: string, ctr: string, perms: string): DeviceMapping[] {
  const out: DeviceMapping[] = [];
  for (const name of fs.readDir(dir).sort()) {
    const path = posix.join(dir, name);
    let info: Deno.FileInfo;
    try {
      info = fs.lstat(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // removed while walking (docker ignores these too)
      throw err;
    }
    const m = node(posix.join(ctr, name), info, perms);
    if (m) out.push(m);
    else if (info.isDirectory) out.push(...walk(fs, path, posix.join(ctr, name), perms));
  }
  return out;
}

/** The mapping for a char/block node, or undefined for anything else. */
function node(path: string, info: Deno.FileInfo, perms: string): DeviceMapping | undefined {
  const type = info.isCharDevice ? "c" : info.isBlockDevice ? "b" : undefined;
  if (!type || info.rdev === null) return undefined;
  const { major, minor } = splitDev(info.rdev);
  return {
    device: {
      path,
      type,
      major,
      minor,
      fileMode: (info.mode ?? 0o666) & ~S_IFMT,
      uid: info.uid ?? 0,
      gid: info.gid ?? 0,
    },
    rule: { allow: true, type, major, minor, access: perms },
  };
}

/** glibc's gnu_dev_major/gnu_dev_minor of a 64-bit dev_t. */
export function splitDev(rdev: number | bigint): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xfffff000n);
  const minor = (d & 0xffn) | ((d >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

/** Largest major/minor a rule may name (the BPF filter compares signed 32-bit values). */
const MAX_NUMBER = 0x7fffffff;

/**
 * Parse one `--device-cgroup-rule` value: `TYPE MAJOR:MINOR ACCESS` with
 * TYPE a|b|c, MAJOR/MINOR a number or `*`, ACCESS ⊆ rwm — an allow rule
 * (docker's format). `a` only as `a *:* rwm` (it allows every device).
 * @throws {UsageError} `invalid argument "<value>" for "--device-cgroup-rule" flag: <why>`.
 */
export function parseDeviceCgroupRule(value: string): LinuxDeviceCgroup {
  const bad = (why: string) =>
    new UsageError(`invalid argument "${value}" for "--device-cgroup-rule" flag: ${why}`);
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(value);
  if (!m) throw bad('expected "TYPE MAJOR:MINOR ACCESS", e.g. "c 1:3 rwm"');
  const num = (s: string) => {
    if (s === "*") return -1;
    const n = Number(s);
    if (n > MAX_NUMBER) throw bad(`device number ${s} is out of range`);
    return n;
  };
  const [, type, major, minor, access] = m;
  if (!isPerms(access)) throw bad(`bad permissions "${access}" (each of r, w, m at most once)`);
  const rule: LinuxDeviceCgroup = {
    allow: true,
    type,
    major: num(major),
    minor: num(minor),
    access,
  };
  if (type === "a" && (rule.major !== -1 || rule.minor !== -1 || access.length !== 3)) {
    throw bad('type "a" applies to every device: use "a *:* rwm"');
  }
  return rule;
}

/**
 * The device-cgroup rules of a container: docker's defaults, then the
 * `--device` rules, then the `--device-cgroup-rule` rules (later wins).
 * Goes into `ResourceLimits.devices` for `CgroupDriver.create`.
 */
export function containerDeviceRules(
  mappings: readonly DeviceMapping[],
  cgroupRules: readonly LinuxDeviceCgroup[],
): LinuxDeviceCgroup[] {
  return [...DEFAULT_DEVICE_RULES, ...mappings.map((m) => m.rule), ...cgroupRules];
}

/**
 * The nodes to make in the container's /dev: the defaults, except those a
 * `--device` replaces (same container path, as runc does), then the
 * `--device` nodes in order (a later one with the same path wins).
 */
export function containerDeviceNodes(mappings: readonly DeviceMapping[]): LinuxDevice[] {
  const byPath = new Map<string, LinuxDevice>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, d);
  for (const m of mappings) {
    byPath.delete(m.device.path); // re-insert at the end, in flag order
    byPath.set(m.device.path, m.device);
  }
  return [...byPath.values()];
}
