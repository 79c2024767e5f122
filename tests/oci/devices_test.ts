/**
 * `--device` and `--device-cgroup-rule` parsing (docker's forms and
 * errors), against a fake host filesystem and the real /dev, and the rule
 * and node lists a container gets.
 */

import assert from "node:assert/strict";
import {
  containerDeviceNodes,
  containerDeviceRules,
  type DeviceHostFs,
  type DeviceMapping,
  hostDeviceFs,
  parseDeviceCgroupRule,
  parseDeviceFlag,
  splitDev,
} from "../../lib/oci/devices.ts";
import { DEFAULT_DEVICE_RULES, DEFAULT_DEVICES } from "../../lib/oci/defaults.ts";
import { UsageError } from "../../lib/errors.ts";
import { normalizeDeviceRules } from "../../lib/cgroup/mod.ts";

type Node = {
  kind: "c" | "b" | "file" | "dir" | "link";
  rdev?: number;
  mode?: number;
  to?: string;
};

/** A fake host tree: path → node; symlinks are resolved by realPath. */
function fakeFs(tree: Record<string, Node>): DeviceHostFs {
  const get = (p: string) => {
    const n = tree[p];
    if (!n) throw new Deno.errors.NotFound(`lstat ${p}`);
    return n;
  };
  return {
    realPath(p) {
      let n = get(p);
      while (n.kind === "link") {
        p = n.to!;
        n = get(p);
      }
      return p;
    },
    lstat(p) {
      const n = get(p);
      const type =
        { c: 0o020000, b: 0o060000, file: 0o100000, dir: 0o040000, link: 0o120000 }[n.kind];
      return {
        isFile: n.kind === "file",
        isDirectory: n.kind === "dir",
        isSymlink: n.kind === "link",
        isCharDevice: n.kind === "c",
        isBlockDevice: n.kind === "b",
        rdev: n.rdev ?? 0,
        mode: type | (n.mode ?? 0o660),
        uid: 0,
        gid: 6,
      } as Deno.FileInfo;
    },
    readDir(p) {
      const prefix = p + "/";
      return Object.keys(tree).filter((k) =>
        k.startsWith(prefix) && !k.slice(prefix.length).includes("/")
      )
        .map((k) => k.slice(prefix.length));
    },
  };
}

const FS = fakeFs({
  "/dev": { kind: "dir" },
  "/dev/sda": { kind: "b", rdev: (8 << 8) | 0 },
  "/dev/kmsg": { kind: "c", rdev: (1 << 8) | 11, mode: 0o644 },
  "/dev/disk": { kind: "dir" },
  "/dev/disk/by-id": { kind: "dir" },
  "/dev/disk/by-id/ata-X": { kind: "link", to: "/dev/sda" },
  "/dev/snd": { kind: "dir" },
  "/dev/snd/controlC0": { kind: "c", rdev: (116 << 8) | 2 },
  "/dev/snd/by-path": { kind: "dir" },
  "/dev/snd/by-path/pci-0": { kind: "link", to: "/dev/snd/controlC0" },
  "/dev/snd/seq": { kind: "c", rdev: (116 << 8) | 1 },
  "/dev/snd/pcm": { kind: "dir" },
  "/dev/snd/pcm/p0": { kind: "c", rdev: (116 << 8) | 16 },
  "/dev/empty": { kind: "dir" },
  "/etc/passwd": { kind: "file" },
});

const only = (ms: DeviceMapping[]) => {
  assert.equal(ms.length, 1);
  return ms[0];
};

Deno.test("parseDeviceFlag: HOST alone maps to the same path with rwm", () => {
  assert.deepEqual(only(parseDeviceFlag("/dev/sda", FS)), {
    device: { path: "/dev/sda", type: "b", major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
    rule: { allow: true, type: "b", major: 8, minor: 0, access: "rwm" },
  });
});

Deno.test("parseDeviceFlag: HOST:CTR, HOST:PERMS and HOST:CTR:PERMS", () => {
  const a = only(parseDeviceFlag("/dev/kmsg:/dev/xkmsg", FS));
  assert.equal(a.device.path, "/dev/xkmsg");
  assert.equal(a.device.fileMode, 0o644);
  assert.equal(a.rule.access, "rwm");
  const b = only(parseDeviceFlag("/dev/kmsg:r", FS));
  assert.equal(b.device.path, "/dev/kmsg");
  assert.deepEqual(b.rule, { allow: true, type: "c", major: 1, minor: 11, access: "r" });
  const c = only(parseDeviceFlag("/dev/sda:/dev/xvda:rw", FS));
  assert.equal(c.device.path, "/dev/xvda");
  assert.equal(c.rule.access, "rw");
  // a container path that looks like nothing special is a path, normalized
  assert.equal(only(parseDeviceFlag("/dev/sda:/dev//x/../disk", FS)).device.path, "/dev/disk");
});

Deno.test("parseDeviceFlag: a symlink HOST is resolved, the container keeps the name given", () => {
  const m = only(parseDeviceFlag("/dev/disk/by-id/ata-X", FS));
  assert.equal(m.device.path, "/dev/disk/by-id/ata-X");
  assert.deepEqual([m.device.type, m.device.major, m.device.minor], ["b", 8, 0]);
});

Deno.test("parseDeviceFlag: a directory adds every node below it, renamed under CTR", () => {
  const ms = parseDeviceFlag("/dev/snd:/dev/sound:rw", FS);
  assert.deepEqual(ms.map((m) => [m.device.path, m.device.minor, m.rule.access]), [
    ["/dev/sound/controlC0", 2, "rw"],
    ["/dev/sound/pcm/p0", 16, "rw"],
    ["/dev/sound/seq", 1, "rw"],
  ]);
});

Deno.test("parseDeviceFlag: bad values are one UsageError line each", () => {
  const cases: [string, string][] = [
    ["/dev/nope", "no such device"],
    ["/etc/passwd", "/etc/passwd is not a character or block device"],
    ["/dev/empty", "no character or block devices in /dev/empty"],
    ["/dev/sda:/x:rwx", 'bad permissions "rwx" (a subset of rwm)'],
    ["/dev/sda:/x:rr", 'bad permissions "rr" (a subset of rwm)'],
    ["/dev/sda:/x:", 'bad permissions "" (a subset of rwm)'],
    ["/dev/sda:rel", "rel is not an absolute path"],
    ["dev/sda", "dev/sda is not an absolute path"],
    ["/dev/sda:/", "the container path cannot be /"],
    ["/a:/b:r:w", "expected HOST[:CONTAINER[:PERMISSIONS]]"],
    ["", "expected HOST[:CONTAINER[:PERMISSIONS]]"],
    [":/x", "expected HOST[:CONTAINER[:PERMISSIONS]]"],
  ];
  for (const [value, why] of cases) {
    assert.throws(
      () => parseDeviceFlag(value, FS),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `invalid argument "${value}" for "--device" flag: ${why}` &&
        !e.message.includes("\n"),
      value,
    );
  }
});

Deno.test("parseDeviceFlag: the real /dev/null, and a missing node on the host", () => {
  const m = only(parseDeviceFlag("/dev/null:/dev/mynull:rw", hostDeviceFs));
  assert.deepEqual(m.device, {
    path: "/dev/mynull",
    type: "c",
    major: 1,
    minor: 3,
    fileMode: 0o666,
    uid: 0,
    gid: 0,
  });
  assert.throws(
    () => parseDeviceFlag("/dev/nope", hostDeviceFs),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === 'invalid argument "/dev/nope" for "--device" flag: no such device',
  );
});

Deno.test("splitDev: glibc's major/minor split, including the wide encoding", () => {
  assert.deepEqual(splitDev(0x0103), { major: 1, minor: 3 });
  assert.deepEqual(splitDev(65024), { major: 254, minor: 0 });
  // major 4096, minor 256: both need the high bits
  assert.deepEqual(splitDev((1n << 44n) | (1n << 20n)), { major: 4096, minor: 256 });
});

Deno.test("parseDeviceCgroupRule: docker's TYPE MAJOR:MINOR ACCESS form", () => {
  assert.deepEqual(parseDeviceCgroupRule("c 1:3 rwm"), {
    allow: true,
    type: "c",
    major: 1,
    minor: 3,
    access: "rwm",
  });
  assert.deepEqual(parseDeviceCgroupRule("b *:* m"), {
    allow: true,
    type: "b",
    major: -1,
    minor: -1,
    access: "m",
  });
  assert.deepEqual(parseDeviceCgroupRule("a *:* rwm").type, "a");
  assert.deepEqual(parseDeviceCgroupRule("c 189:* rw").minor, -1);
});

Deno.test("parseDeviceCgroupRule: bad values are one UsageError line each", () => {
  const cases: [string, string][] = [
    ["c 1:3", 'expected "TYPE MAJOR:MINOR ACCESS", e.g. "c 1:3 rwm"'],
    ["x 1:3 r", 'expected "TYPE MAJOR:MINOR ACCESS", e.g. "c 1:3 rwm"'],
    ["c 1:3 rwx", 'expected "TYPE MAJOR:MINOR ACCESS", e.g. "c 1:3 rwm"'],
    ["c  1:3 r", 'expected "TYPE MAJOR:MINOR ACCESS", e.g. "c 1:3 rwm"'],
    ["c 1:3 rr", 'bad permissions "rr" (each of r, w, m at most once)'],
    ["c 99999999999:3 r", "device number 99999999999 is out of range"],
    ["a 1:3 r", 'type "a" applies to every device: use "a *:* rwm"'],
  ];
  for (const [value, why] of cases) {
    assert.throws(
      () => parseDeviceCgroupRule(value),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `invalid argument "${value}" for "--device-cgroup-rule" flag: ${why}`,
      value,
    );
  }
});

Deno.test("containerDeviceRules: defaults, then --device, then --device-cgroup-rule", () => {
  const kmsg = parseDeviceFlag("/dev/kmsg:r", FS);
  const rule = parseDeviceCgroupRule("c 189:* rw");
  const rules = containerDeviceRules(kmsg, [rule]);
  assert.deepEqual(rules, [...DEFAULT_DEVICE_RULES, kmsg[0].rule, rule]);
  const set = normalizeDeviceRules(rules);
  assert.ok(set.exceptions.some((e) => e.major === 1 && e.minor === 11 && e.access === 2));
  assert.ok(set.exceptions.some((e) => e.major === 189 && e.minor === -1 && e.access === 6));
});

Deno.test("containerDeviceNodes: defaults, a --device with a default's path replaces it", () => {
  const mine = parseDeviceFlag("/dev/kmsg:/dev/null:r", FS);
  const sda = parseDeviceFlag("/dev/sda", FS);
  const nodes = containerDeviceNodes([...mine, ...sda]);
  assert.deepEqual(nodes.map((n) => n.path), [
    ...DEFAULT_DEVICES.map((d) => d.path).filter((p) => p !== "/dev/null"),
    "/dev/null",
    "/dev/sda",
  ]);
  assert.equal(nodes.find((n) => n.path === "/dev/null")!.minor, 11);
});
