/**
 * Which controllers take the init early (lib/cgroup/early_join.ts), and the
 * split of the join writes on v2 (a fake tree) and v1 (the real hierarchies,
 * root only, a cgroup of our own removed after).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { beginCgroupJoin, joinsEarly } from "../../lib/cgroup/early_join.ts";
import { openCgroups } from "../../lib/cgroup/mod.ts";
import { DEFAULT_DEVICE_RULES, DEFAULT_DEVICES } from "../../lib/oci/defaults.ts";
import { FakeCgroupFs } from "./_fake_cgroupfs.ts";

const DOCKER = { nodes: DEFAULT_DEVICES, terminal: true };

Deno.test("joinsEarly: no limits — every controller takes the init early", () => {
  for (const c of ["memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "freezer", "unified"]) {
    assert.equal(joinsEarly(c, {}, DOCKER), true, c);
  }
  assert.equal(joinsEarly("devices", { devices: [...DEFAULT_DEVICE_RULES] }, DOCKER), true);
});

Deno.test("joinsEarly: a limit that could constrain the init's runtime makes its controller late", () => {
  assert.equal(joinsEarly("memory", { memory: 6 * 1024 * 1024 }, DOCKER), false);
  assert.equal(joinsEarly("memory", { memoryReservation: 1 << 20 }, DOCKER), false);
  assert.equal(joinsEarly("memory", { memorySwap: -1 }, DOCKER), true); // unlimited swap only
  assert.equal(joinsEarly("pids", { pidsLimit: 5 }, DOCKER), false);
  assert.equal(joinsEarly("pids", { pidsLimit: -1 }, DOCKER), true);
  assert.equal(joinsEarly("cpu", { cpuQuota: 50_000, cpuPeriod: 100_000 }, DOCKER), false);
  assert.equal(joinsEarly("cpu", { cpuShares: 512 }, DOCKER), true);
  assert.equal(joinsEarly("cpuset", { cpusetCpus: "0" }, DOCKER), false);
  // the others only count, whatever is set
  assert.equal(joinsEarly("cpuacct", { memory: 1, pidsLimit: 1, cpuQuota: 1 }, DOCKER), true);
  assert.equal(joinsEarly("unified", { memory: 6 << 20 }, DOCKER), false);
  assert.equal(joinsEarly("unified", { unified: { "memory.high": "1M" } }, DOCKER), false);
});

Deno.test("joinsEarly: devices are early only when the init may make and open its nodes", () => {
  const denyAll = [{ allow: false, access: "rwm" }];
  assert.equal(joinsEarly("devices", { devices: denyAll }, DOCKER), false);
  assert.equal(joinsEarly("devices", { devices: denyAll }, { nodes: [], terminal: false }), true);
  // mknod allowed, but no rw on the pty: a terminal init opens /dev/ptmx
  const noPty = [{ allow: false, access: "rwm" }, {
    allow: true,
    type: "c",
    major: -1,
    minor: -1,
    access: "m",
  }];
  assert.equal(
    joinsEarly("devices", { devices: noPty }, { nodes: DEFAULT_DEVICES, terminal: false }),
    true,
  );
  assert.equal(joinsEarly("devices", { devices: noPty }, DOCKER), false);
  assert.equal(joinsEarly("unified", { devices: denyAll }, DOCKER), false);
});

Deno.test("joinWrites (v2): one cgroup.procs write, early or late as a whole", () => {
  const fake = FakeCgroupFs.create({ enabled: ["cpu", "memory", "pids"] });
  try {
    const cg = openCgroups({ root: fake.root, fs: fake }).create("tsbox-early", {});
    const procs = join(fake.root, "tsbox-early", "cgroup.procs");
    assert.deepEqual(cg.joinWrites(4242, () => true), {
      early: [{ path: procs, value: "4242" }],
      late: [],
    });
    assert.deepEqual(cg.joinWrites(4242, (c) => c !== "unified"), {
      early: [],
      late: [{ path: procs, value: "4242" }],
    });
  } finally {
    fake.dispose();
  }
});

Deno.test({
  name: "joinWrites (v1, real): early and late cover every hierarchy once, cpuset first",
  ignore: Deno.uid() !== 0 || openCgroups().version !== 1,
  fn: async () => {
    const cg = openCgroups().create(`tsbox-earlytest-${Deno.pid}`, {});
    try {
      const { early, late } = cg.joinWrites(4242, (c) => c !== "memory" && c !== "pids");
      const all = [...early, ...late].map((w) => w.path).sort();
      assert.deepEqual(all, cg.paths.map((d) => join(d, "cgroup.procs")).sort());
      for (const w of late) assert.match(w.path, /\/(memory|pids)\//);
      for (const w of early) assert.doesNotMatch(w.path, /\/(memory|pids)\//);
      if (early.some((w) => w.path.includes("/cpuset/"))) assert.match(early[0].path, /\/cpuset\//);
      assert.ok(early.every((w) => w.value === "4242"));
    } finally {
      await cg.destroy();
    }
  },
});

Deno.test({
  name: "beginCgroupJoin (v1, real): after finish the process is in the cgroup of every hierarchy",
  ignore: Deno.uid() !== 0 || openCgroups().version !== 1,
  fn: async () => {
    const cg = openCgroups().create(`tsbox-earlyjoin-${Deno.pid}`, {});
    const child = new Deno.Command("/bin/busybox", { args: ["sleep", "30"] }).spawn();
    try {
      // pids and memory late (a limit on each), the rest early: the first early write waits
      // for the grace period off the main thread, the others follow it in one turn
      const limits = { pidsLimit: 100, memory: 256 * 1024 * 1024 };
      const joining = beginCgroupJoin(cg, child.pid, limits, { ociVersion: "1.0.2" });
      assert.equal(joining.late, true);
      await joining.finish();
      const lines = Deno.readTextFileSync(`/proc/${child.pid}/cgroup`).trim().split("\n");
      for (const dir of cg.paths) {
        const procs = Deno.readTextFileSync(join(dir, "cgroup.procs")).trim().split("\n");
        assert.ok(procs.includes(String(child.pid)), `${child.pid} not in ${dir}`);
      }
      assert.ok(
        lines.filter((l) => l.endsWith(`/tsbox-earlyjoin-${Deno.pid}`)).length >=
          cg.paths.length - 1,
      );
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await cg.destroy();
    }
  },
});
