/**
 * The v1 devices controller on the real kernel: a process in a
 * container-style cgroup created with docker's default rules cannot open
 * /dev/kmsg (EPERM) but can open /dev/null and mknod any node; one more
 * allow rule for 1:11 opens kmsg. Needs root and a v1 devices hierarchy.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type ContainerCgroup, openCgroups, type ResourceLimits } from "../../lib/cgroup/mod.ts";
import { DEFAULT_DEVICE_RULES } from "../../lib/oci/defaults.ts";
import { CgroupError } from "../../lib/errors.ts";
import { IS_ROOT, leftovers, testName } from "./_real.ts";
import { probeDevices } from "./_device_probe.ts";

const HAS_V1_DEVICES = (() => {
  try {
    return Deno.statSync("/sys/fs/cgroup/devices/devices.list").isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // pure v2 host: see device_prog_test.ts
    throw err;
  }
})();
const ignore = !IS_ROOT || !HAS_V1_DEVICES;

/** Create a cgroup with `limits`, run `fn`, destroy it and check nothing is left. */
async function withV1(
  limits: ResourceLimits,
  fn: (cg: ContainerCgroup) => Promise<void>,
): Promise<void> {
  const name = testName();
  const cg = openCgroups({ version: 1 }).create(name, limits);
  try {
    await fn(cg);
  } finally {
    await cg.destroy();
    assert.deepEqual(leftovers(name), []);
  }
}

const devicesDir = (paths: string[]) => paths.find((p) => p.startsWith("/sys/fs/cgroup/devices/"));

Deno.test({
  name: "V1Driver.create: default rules put the container in a restricted devices cgroup",
  ignore,
  fn: () =>
    withV1({ devices: [...DEFAULT_DEVICE_RULES] }, async (cg) => {
      const dir = devicesDir(cg.paths);
      assert.equal(dir, `/sys/fs/cgroup/devices/${cg.name}`);
      const list = Deno.readTextFileSync(join(dir!, "devices.list")).trim().split("\n");
      assert.deepEqual(list, [
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
      const p = await probeDevices(cg);
      assert.equal(p.ok.kmsg, false, p.out);
      assert.match(p.out, /\/dev\/kmsg'?: Operation not permitted/);
      assert.equal(p.ok.null, true, p.out);
      assert.equal(p.ok.mknod, true, p.out);
      assert.equal(p.ok.node, false, p.out);
    }),
});

Deno.test({
  name: "V1Driver.create: an allow rule for c 1:11 opens /dev/kmsg (control)",
  ignore,
  fn: () =>
    withV1({
      devices: [...DEFAULT_DEVICE_RULES, {
        allow: true,
        type: "c",
        major: 1,
        minor: 11,
        access: "r",
      }],
    }, async (cg) => {
      const p = await probeDevices(cg);
      assert.equal(p.ok.kmsg, true, p.out);
      assert.equal(p.ok.null, true, p.out);
      assert.equal(p.ok.node, true, p.out);
    }),
});

Deno.test({
  name: "V1Driver.create: without device rules the devices cgroup keeps full access",
  ignore,
  fn: () =>
    withV1({}, (cg) => {
      const dir = devicesDir(cg.paths);
      assert.ok(dir, `a devices directory is made for every container: ${cg.paths}`);
      assert.equal(Deno.readTextFileSync(join(dir, "devices.list")).trim(), "a *:* rwm");
      return Promise.resolve();
    }),
});

Deno.test({
  name: "V1Driver.create: a malformed device rule is refused before any directory is made",
  ignore,
  fn: () => {
    const name = testName();
    try {
      assert.throws(
        () =>
          openCgroups({ version: 1 }).create(name, {
            devices: [{ allow: false, access: "rwm" }, { allow: true, type: "x", access: "r" }],
          }),
        (e: unknown) => e instanceof CgroupError && /unknown device type "x"/.test(e.message),
      );
    } finally {
      assert.deepEqual(leftovers(name), []);
    }
  },
});
