/**
 * The cgroup v2 device filter: instruction listings for a few rule sets,
 * the program run in a small interpreter against the v1 emulation for
 * every device/access combination, the v2 driver's use of it on a fake
 * tree, and — as root on a host with a cgroup2 mount (the hybrid
 * /sys/fs/cgroup/unified or a pure v2 root) — loading through the
 * verifier and attaching for real: a child moved into the cgroup cannot
 * open /dev/kmsg (EPERM), can open /dev/null and mknod, cannot open the node.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CgroupBpf,
  type ContainerCgroup,
  deviceAllowed,
  deviceProgram,
  encodeProgram,
  normalizeDeviceRules,
  openCgroups,
} from "../../lib/cgroup/mod.ts";
import type { LinuxDeviceCgroup } from "../../lib/oci/spec.ts";
import { DEFAULT_DEVICE_RULES } from "../../lib/oci/defaults.ts";
import { CgroupError, SyscallError } from "../../lib/errors.ts";
import { attachedDevicePrograms, loadDeviceProgram } from "../../ffi/bpf.ts";
import { closeFd } from "../../ffi/fds.ts";
import { listing, run } from "./_bpf_vm.ts";
import { FakeCgroupFs } from "./_fake_cgroupfs.ts";
import { IS_ROOT, leftovers } from "./_real.ts";
import { probeDevices } from "./_device_probe.ts";

const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: "rwm" };
const ALLOW_ALL: LinuxDeviceCgroup = { allow: true, access: "rwm" };
const PROLOGUE = [
  "ldxw r2, [r1+0]",
  "and32 r2, 65535",
  "ldxw r3, [r1+0]",
  "rsh32 r3, 16",
  "ldxw r4, [r1+4]",
  "ldxw r5, [r1+8]",
];

Deno.test("deviceProgram: deny-all is the prologue and return 0", () => {
  assert.deepEqual(listing(deviceProgram([DENY_ALL])), [...PROLOGUE, "mov32 r0, 0", "exit"]);
  // an empty list allows nothing either
  assert.deepEqual(listing(deviceProgram([])), [...PROLOGUE, "mov32 r0, 0", "exit"]);
});

Deno.test("deviceProgram: an rwm allow tests type, major and minor and jumps to the next block", () => {
  const p = deviceProgram([DENY_ALL, {
    allow: true,
    type: "c",
    major: 1,
    minor: 3,
    access: "rwm",
  }]);
  assert.deepEqual(listing(p), [
    ...PROLOGUE,
    "jne r2, 2, +4",
    "jne r4, 1, +3",
    "jne r5, 3, +2",
    "mov32 r0, 1",
    "exit",
    "mov32 r0, 0",
    "exit",
  ]);
});

Deno.test("deviceProgram: a partial allow requires every requested bit; wildcards test nothing", () => {
  const p = deviceProgram([DENY_ALL, {
    allow: true,
    type: "b",
    major: -1,
    minor: -1,
    access: "m",
  }]);
  assert.deepEqual(listing(p).slice(PROLOGUE.length), [
    "jne r2, 1, +5",
    "mov32 r1, r3",
    "and32 r1, 1",
    "jne r1, r3, +2",
    "mov32 r0, 1",
    "exit",
    "mov32 r0, 0",
    "exit",
  ]);
});

Deno.test("deviceProgram: a deny list denies on any overlapping bit and defaults to 1", () => {
  const p = deviceProgram([ALLOW_ALL, { allow: false, type: "c", major: 8, access: "w" }]);
  assert.deepEqual(listing(p).slice(PROLOGUE.length), [
    "jne r2, 2, +6",
    "mov32 r1, r3",
    "and32 r1, 4",
    "jeq r1, 0, +3",
    "jne r4, 8, +2",
    "mov32 r0, 0",
    "exit",
    "mov32 r0, 1",
    "exit",
  ]);
});

Deno.test("deviceProgram: docker's defaults are 12 blocks and 69 instructions", () => {
  const p = deviceProgram(DEFAULT_DEVICE_RULES);
  assert.equal(p.length, 69);
  assert.equal(listing(p).filter((l) => l === "exit").length, 13);
  assert.equal(encodeProgram(p).length, 69 * 8);
});

Deno.test("encodeProgram: struct bpf_insn layout (code, src<<4|dst, off le16, imm le32)", () => {
  const bytes = encodeProgram([{ code: 0x5d, dst: 1, src: 3, off: 2, imm: -2 }]);
  assert.deepEqual([...bytes], [0x5d, 0x31, 2, 0, 0xfe, 0xff, 0xff, 0xff]);
});

const RULE_SETS: [string, LinuxDeviceCgroup[]][] = [
  ["docker defaults", [...DEFAULT_DEVICE_RULES]],
  ["defaults + kmsg r", [...DEFAULT_DEVICE_RULES, {
    allow: true,
    type: "c",
    major: 1,
    minor: 11,
    access: "r",
  }]],
  ["allow-list with a revoked bit", [
    DENY_ALL,
    { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
    { allow: false, type: "c", major: 10, minor: 200, access: "w" },
    { allow: true, type: "b", major: 8, access: "rw" },
  ]],
  ["deny list", [
    ALLOW_ALL,
    { allow: false, type: "c", major: 1, minor: 11, access: "rw" },
    { allow: false, type: "b", access: "m" },
    { allow: false, type: "c", minor: 229, access: "rwm" },
  ]],
  ["reset in the middle", [
    DENY_ALL,
    { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    ALLOW_ALL,
    { allow: false, type: "c", major: 1, minor: 3, access: "r" },
  ]],
];

Deno.test("deviceProgram: run on every type/access/number, it agrees with the v1 emulation", () => {
  const numbers = [0, 1, 2, 3, 5, 7, 8, 9, 10, 11, 136, 200, 229];
  for (const [what, rules] of RULE_SETS) {
    const prog = deviceProgram(rules);
    const set = normalizeDeviceRules(rules);
    let checked = 0;
    for (const type of ["b", "c"] as const) {
      for (let access = 1; access <= 7; access++) {
        for (const major of numbers) {
          for (const minor of numbers) {
            const want = deviceAllowed(set, type, major, minor, access) ? 1 : 0;
            const got = run(prog, { type: type === "b" ? 1 : 2, access, major, minor });
            assert.equal(got, want, `${what}: ${type} ${major}:${minor} access ${access}`);
            checked++;
          }
        }
      }
    }
    assert.equal(checked, 2 * 7 * numbers.length ** 2);
  }
});

Deno.test("deviceProgram: docker's defaults allow the standard nodes and refuse the rest", () => {
  const prog = deviceProgram(DEFAULT_DEVICE_RULES);
  const R = 2, W = 4, M = 1;
  const allowed = (type: 1 | 2, major: number, minor: number, access: number) =>
    run(prog, { type, major, minor, access }) === 1;
  assert.equal(allowed(2, 1, 3, R | W), true, "/dev/null rw");
  assert.equal(allowed(2, 136, 7, R | W), true, "/dev/pts/7");
  assert.equal(allowed(2, 5, 2, R | W), true, "/dev/ptmx");
  assert.equal(allowed(2, 1, 11, R), false, "/dev/kmsg r");
  assert.equal(allowed(2, 1, 11, M), true, "mknod of a kmsg node");
  assert.equal(allowed(1, 253, 0, M), true, "mknod of a block node");
  assert.equal(allowed(1, 253, 0, R), false, "block device read");
  assert.equal(allowed(2, 10, 229, R | W), false, "/dev/fuse");
  assert.equal(allowed(2, 1, 3, R | M), true, "r+m on null: one rule covers both");
});

Deno.test("deviceProgram: malformed rules are CgroupErrors naming the rule", () => {
  assert.throws(
    () => deviceProgram([DENY_ALL, { allow: true, type: "c", major: 1, minor: 3, access: "rwx" }]),
    (e: unknown) =>
      e instanceof CgroupError && e.message.includes('"allow c 1:3 rwx"') &&
      e.message.includes("not a subset of rwm"),
  );
});

/** A CgroupBpf that records what it was asked to attach, or fails. */
function recorder(fail?: Error): CgroupBpf & { calls: { dir: string; program: Uint8Array }[] } {
  const calls: { dir: string; program: Uint8Array }[] = [];
  return {
    calls,
    attachDeviceFilter(dir, program) {
      if (fail) throw fail;
      calls.push({ dir, program });
    },
  };
}

const NAME = "tsbox-" + "cd".repeat(32);

Deno.test("V2Driver.create: device rules attach their program to the new directory", () => {
  const fake = FakeCgroupFs.create();
  try {
    const bpf = recorder();
    const cg = openCgroups({ root: fake.root, fs: fake, bpf }).create(NAME, {
      devices: [...DEFAULT_DEVICE_RULES],
    });
    assert.deepEqual(cg.paths, [join(fake.root, NAME)]);
    assert.equal(bpf.calls.length, 1);
    assert.equal(bpf.calls[0].dir, join(fake.root, NAME));
    assert.deepEqual(bpf.calls[0].program, encodeProgram(deviceProgram(DEFAULT_DEVICE_RULES)));
    // no rules, no program
    openCgroups({ root: fake.root, fs: fake, bpf }).create(NAME + "x", {});
    assert.equal(bpf.calls.length, 1);
  } finally {
    fake.dispose();
  }
});

Deno.test("V2Driver.create: a refused attach removes the directory and names the cgroup", () => {
  const fake = FakeCgroupFs.create();
  try {
    const bpf = recorder(new SyscallError("bpf(BPF_PROG_ATTACH)", 1, "EPERM", "not permitted"));
    assert.throws(
      () => openCgroups({ root: fake.root, fs: fake, bpf }).create(NAME, { devices: [DENY_ALL] }),
      (e: unknown) =>
        e instanceof CgroupError && e.message.startsWith("attach device filter to ") &&
        e.message.includes("EPERM"),
    );
    assert.equal(fake.exists(join(fake.root, NAME)), false);
  } finally {
    fake.dispose();
  }
});

Deno.test("V2Driver.validate: a malformed rule is refused before anything is made", () => {
  const fake = FakeCgroupFs.create();
  try {
    const bpf = recorder();
    assert.throws(
      () =>
        openCgroups({ root: fake.root, fs: fake, bpf }).create(NAME, {
          devices: [DENY_ALL, { allow: true, type: "c", major: -1, minor: -1, access: "m" }, {
            allow: false,
            type: "c",
            major: 1,
            minor: 3,
            access: "m",
          }],
        }),
      (e: unknown) => e instanceof CgroupError && e.message.includes('wider rule "c *:* m"'),
    );
    assert.equal(fake.exists(join(fake.root, NAME)), false);
    assert.equal(bpf.calls.length, 0);
  } finally {
    fake.dispose();
  }
});

// ---- the real kernel ----

/** A cgroup2 mount that takes device programs: the v2 root, or a hybrid host's unified/. */
const V2_ROOT = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((r) => {
  try {
    return Deno.statSync(join(r, "cgroup.controllers")).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // no cgroup2 there
    throw err;
  }
});
const ignore = !IS_ROOT || V2_ROOT === undefined;

const devtestName = () =>
  "tsbox-devtest-" +
  [...crypto.getRandomValues(new Uint8Array(8))].map((x) => x.toString(16).padStart(2, "0"))
    .join("");

Deno.test({
  name: "loadDeviceProgram: every rule set above passes the kernel's verifier",
  ignore: !IS_ROOT,
  fn: () => {
    for (const [what, rules] of RULE_SETS) {
      const fd = loadDeviceProgram(encodeProgram(deviceProgram(rules)));
      assert.ok(fd > 2, what);
      closeFd(fd);
    }
  },
});

Deno.test({
  name: "loadDeviceProgram: a refused program reports the verifier's words",
  ignore: !IS_ROOT,
  fn: () => {
    // exit without setting r0
    assert.throws(
      () => loadDeviceProgram(encodeProgram([{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }])),
      (e: unknown) =>
        e instanceof SyscallError && e.errnoName === "EACCES" && /R0 !read_ok/.test(e.message),
    );
  },
});

/** Create a v2 device cgroup named tsbox-devtest-…, run `fn`, always remove it. */
async function withV2(
  rules: LinuxDeviceCgroup[],
  fn: (cg: ContainerCgroup) => Promise<void>,
): Promise<void> {
  const name = devtestName();
  const cg = openCgroups({ root: V2_ROOT, version: 2 }).create(name, { devices: rules });
  try {
    await fn(cg);
  } finally {
    await cg.destroy();
    assert.deepEqual(leftovers(name), []);
  }
}

Deno.test({
  name:
    "V2Driver.create: with docker's defaults kmsg is EPERM, null opens, mknod works, the node does not open",
  ignore,
  fn: () =>
    withV2([...DEFAULT_DEVICE_RULES], async (cg) => {
      assert.equal(attachedDevicePrograms(cg.paths[0]).length, 1);
      const p = await probeDevices(cg);
      assert.equal(p.ok.kmsg, false, p.out);
      assert.match(p.out, /\/dev\/kmsg'?: Operation not permitted/);
      assert.equal(p.ok.null, true, p.out);
      assert.equal(p.ok.mknod, true, p.out);
      assert.equal(p.ok.node, false, p.out);
      assert.match(p.out, /devprobe-[^:]*\/kmsg'?: Operation not permitted/);
    }),
});

Deno.test({
  name: "V2Driver.create: an allow rule for c 1:11 opens /dev/kmsg (control)",
  ignore,
  fn: () =>
    withV2(
      [...DEFAULT_DEVICE_RULES, { allow: true, type: "c", major: 1, minor: 11, access: "r" }],
      async (cg) => {
        const p = await probeDevices(cg);
        assert.equal(p.ok.kmsg, true, p.out);
        assert.equal(p.ok.null, true, p.out);
        assert.equal(p.ok.node, true, p.out);
      },
    ),
});

Deno.test({
  name: "V2Driver.create: a deny list refuses only its exceptions",
  ignore,
  fn: () =>
    withV2(
      [ALLOW_ALL, { allow: false, type: "c", major: 1, minor: 3, access: "rw" }],
      async (cg) => {
        const p = await probeDevices(cg);
        assert.equal(p.ok.kmsg, true, p.out);
        assert.equal(p.ok.null, false, p.out);
        assert.equal(p.ok.mknod, true, p.out);
      },
    ),
});
