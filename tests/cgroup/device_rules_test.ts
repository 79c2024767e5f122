/**
 * The one v1 emulation of device-cgroup rules (reset, add, remove, later
 * wins, refused hole punching) and the v1 control-file writes made from it.
 */

import assert from "node:assert/strict";
import {
  deviceAllowed,
  normalizeDeviceRules,
  openCgroups,
  planDevicesV1,
  planV1,
} from "../../lib/cgroup/mod.ts";
import type { LinuxDeviceCgroup } from "../../lib/oci/spec.ts";
import { DEFAULT_DEVICE_RULES } from "../../lib/oci/defaults.ts";
import { CgroupError } from "../../lib/errors.ts";

const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: "rwm" };
const ALLOW_ALL: LinuxDeviceCgroup = {
  allow: true,
  type: "a",
  major: -1,
  minor: -1,
  access: "rwm",
};
const c = (major: number, minor: number, access: string, allow = true): LinuxDeviceCgroup => ({
  allow,
  type: "c",
  major,
  minor,
  access,
});

Deno.test("normalizeDeviceRules: an empty list denies everything", () => {
  assert.deepEqual(normalizeDeviceRules([]), { defaultAllow: false, exceptions: [] });
});

Deno.test("normalizeDeviceRules: allows after deny-all become exceptions, same node merges", () => {
  const set = normalizeDeviceRules([DENY_ALL, c(1, 3, "r"), c(1, 5, "rwm"), c(1, 3, "w")]);
  assert.deepEqual(set, {
    defaultAllow: false,
    exceptions: [
      { type: "c", major: 1, minor: 3, access: 2 | 4 },
      { type: "c", major: 1, minor: 5, access: 7 },
    ],
  });
});

Deno.test("normalizeDeviceRules: a later deny takes bits away from the same node", () => {
  const set = normalizeDeviceRules([DENY_ALL, c(1, 3, "rwm"), c(1, 3, "w", false)]);
  assert.deepEqual(set.exceptions, [{ type: "c", major: 1, minor: 3, access: 2 | 1 }]);
  assert.equal(deviceAllowed(set, "c", 1, 3, 2), true);
  assert.equal(deviceAllowed(set, "c", 1, 3, 4), false);
  assert.equal(deviceAllowed(set, "c", 1, 3, 2 | 4), false);
  // all bits gone: the exception disappears
  assert.deepEqual(
    normalizeDeviceRules([DENY_ALL, c(1, 3, "r"), c(1, 3, "rwm", false)]).exceptions,
    [],
  );
});

Deno.test("normalizeDeviceRules: an 'a' rule resets, so what comes before it is forgotten", () => {
  assert.deepEqual(normalizeDeviceRules([DENY_ALL, c(1, 3, "rwm"), ALLOW_ALL]), {
    defaultAllow: true,
    exceptions: [],
  });
  assert.deepEqual(normalizeDeviceRules([ALLOW_ALL, c(1, 3, "rwm", false), DENY_ALL]), {
    defaultAllow: false,
    exceptions: [],
  });
});

Deno.test("normalizeDeviceRules: a deny inside a wildcard allow is refused (v1 would ignore it)", () => {
  assert.throws(
    () => normalizeDeviceRules([DENY_ALL, c(-1, -1, "m"), c(1, 3, "m", false)]),
    (e: unknown) =>
      e instanceof CgroupError &&
      e.message ===
        'invalid device cgroup rule "deny c 1:3 m": it cannot take access away from the wider rule "c *:* m"',
  );
  // no overlap in bits: fine, and a no-op
  assert.deepEqual(
    normalizeDeviceRules([DENY_ALL, c(-1, -1, "m"), c(1, 3, "r", false)]).exceptions,
    [{ type: "c", major: -1, minor: -1, access: 1 }],
  );
});

Deno.test("normalizeDeviceRules: malformed rules are refused with the rule in the message", () => {
  const bad: [LinuxDeviceCgroup, RegExp][] = [
    [{ allow: true, type: "c", major: 1, minor: 3, access: "" }, /"allow c 1:3 ": empty access/],
    [{ allow: true, type: "c", major: 1, minor: 3, access: "rx" }, /not a subset of rwm/],
    [{ allow: true, type: "p", access: "r" }, /unknown device type "p"/],
    [{ allow: true, type: "a", major: 1, access: "rwm" }, /use "a \*:\* rwm"/],
    [{ allow: false, access: "r" }, /use "a \*:\* rwm"/],
    [{ allow: true, type: "c", major: 2 ** 31, access: "r" }, /out of range/],
    [{ allow: true, type: "c", major: 1.5, access: "r" }, /out of range/],
  ];
  for (const [rule, re] of bad) {
    assert.throws(
      () => normalizeDeviceRules([DENY_ALL, rule]),
      (e: unknown) => e instanceof CgroupError && re.test(e.message),
      JSON.stringify(rule),
    );
  }
});

Deno.test("deviceAllowed: an allow list needs one exception covering all requested bits", () => {
  const set = normalizeDeviceRules(DEFAULT_DEVICE_RULES);
  assert.equal(deviceAllowed(set, "c", 1, 11, 2), false);
  assert.equal(deviceAllowed(set, "c", 1, 11, 1), true);
  assert.equal(deviceAllowed(set, "b", 8, 0, 1), true);
  assert.equal(deviceAllowed(set, "b", 8, 0, 2), false);
  assert.equal(deviceAllowed(set, "c", 136, 0, 6), true);
});

Deno.test("planDevicesV1: deny 'a' first, then one allow line per exception", () => {
  const dir = "/sys/fs/cgroup/devices/tsbox-x";
  const w = planDevicesV1(DEFAULT_DEVICE_RULES, dir);
  assert.deepEqual(w[0], { path: `${dir}/devices.deny`, value: "a" });
  assert.deepEqual(w.slice(1).map((x) => x.path), Array(12).fill(`${dir}/devices.allow`));
  assert.deepEqual(w.slice(1).map((x) => x.value), [
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:200 rwm",
  ]);
});

Deno.test("planDevicesV1: a deny list resets with devices.allow and denies in devices.deny", () => {
  assert.deepEqual(planDevicesV1([ALLOW_ALL, c(1, 11, "rw", false)], "/d"), [
    { path: "/d/devices.allow", value: "a" },
    { path: "/d/devices.deny", value: "c 1:11 rw" },
  ]);
});

Deno.test("planDevicesV1: no rules, no writes (the cgroup keeps its parent's access)", () => {
  assert.deepEqual(planDevicesV1(undefined, "/d"), []);
});

Deno.test("planV1: device writes go into the devices hierarchy, after the other controllers", () => {
  const w = planV1({ pidsLimit: 10, devices: [DENY_ALL, c(1, 3, "rwm")] }, {
    dirs: { pids: "/p/x", devices: "/dv/x" },
    swapAccounting: false,
    parentCpuset: { cpus: "", mems: "" },
  });
  assert.deepEqual(w, [
    { path: "/p/x/pids.max", value: "10" },
    { path: "/dv/x/devices.deny", value: "a" },
    { path: "/dv/x/devices.allow", value: "c 1:3 rwm" },
  ]);
});

Deno.test("V1Driver.validate: device rules need the devices hierarchy", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-fakev1-" });
  try {
    Deno.mkdirSync(`${root}/pids`);
    Deno.writeTextFileSync(`${root}/pids/cgroup.procs`, "");
    const d = openCgroups({ root, version: 1 });
    d.validate({ pidsLimit: 5 });
    assert.throws(
      () => d.validate({ devices: [DENY_ALL] }),
      (e: unknown) =>
        e instanceof CgroupError && /'devices' hierarchy is not mounted/.test(e.message),
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
