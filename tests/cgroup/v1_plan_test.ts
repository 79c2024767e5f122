/** The v1 plan (pure) and hierarchy discovery on a fake v1 layout. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { openCgroups, parseResourceFlags, planV1 } from "../../lib/cgroup/mod.ts";
import { CgroupError } from "../../lib/errors.ts";

const HOST = { cpus: [0, 1], mems: [0] };
const DIRS = {
  memory: "/cg/memory/tsbox-x",
  cpu: "/cg/cpu/tsbox-x",
  cpuacct: "/cg/cpuacct/tsbox-x",
  cpuset: "/cg/cpuset/tsbox-x",
  pids: "/cg/pids/tsbox-x",
};

Deno.test("planV1: every flag in write order, memsw after the memory limit", () => {
  const limits = parseResourceFlags({
    memory: "64m",
    "memory-swap": "-1",
    "memory-reservation": "32m",
    "cpu-shares": "256",
    "cpu-period": "50000",
    "cpu-quota": "25000",
    "cpuset-cpus": "1",
    "pids-limit": "7",
  }, HOST);
  assert.deepEqual(
    planV1(limits, { dirs: DIRS, swapAccounting: true, parentCpuset: { cpus: "0-1", mems: "0" } }),
    [
      { path: "/cg/cpuset/tsbox-x/cpuset.cpus", value: "1" },
      { path: "/cg/cpuset/tsbox-x/cpuset.mems", value: "0" },
      { path: "/cg/memory/tsbox-x/memory.limit_in_bytes", value: "67108864" },
      { path: "/cg/memory/tsbox-x/memory.memsw.limit_in_bytes", value: "-1" },
      { path: "/cg/memory/tsbox-x/memory.soft_limit_in_bytes", value: "33554432" },
      { path: "/cg/cpu/tsbox-x/cpu.shares", value: "256" },
      { path: "/cg/cpu/tsbox-x/cpu.cfs_period_us", value: "50000" },
      { path: "/cg/cpu/tsbox-x/cpu.cfs_quota_us", value: "25000" },
      { path: "/cg/pids/tsbox-x/pids.max", value: "7" },
    ],
  );
});

Deno.test("planV1: no swap accounting means no memsw write; cpuset is inherited", () => {
  const limits = parseResourceFlags({ memory: "64m", "pids-limit": "-1" }, HOST);
  assert.deepEqual(
    planV1(limits, { dirs: DIRS, swapAccounting: false, parentCpuset: { cpus: "0-1", mems: "0" } }),
    [
      { path: "/cg/cpuset/tsbox-x/cpuset.cpus", value: "0-1" },
      { path: "/cg/cpuset/tsbox-x/cpuset.mems", value: "0" },
      { path: "/cg/memory/tsbox-x/memory.limit_in_bytes", value: "67108864" },
      { path: "/cg/pids/tsbox-x/pids.max", value: "max" },
    ],
  );
  // no cpuset hierarchy: nothing to populate
  assert.deepEqual(
    planV1({}, {
      dirs: { memory: DIRS.memory },
      swapAccounting: true,
      parentCpuset: { cpus: "", mems: "" },
    }),
    [],
  );
});

Deno.test("V1Driver: co-mounted cpu,cpuacct share one directory; missing hierarchies are refused", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-fakev1-" });
  try {
    for (const h of ["cpu,cpuacct", "memory"]) {
      Deno.mkdirSync(join(root, h, "tsbox-x"), { recursive: true });
      Deno.writeTextFileSync(join(root, h, "cgroup.procs"), "");
    }
    Deno.symlinkSync("cpu,cpuacct", join(root, "cpu"));
    Deno.symlinkSync("cpu,cpuacct", join(root, "cpuacct"));
    const d = openCgroups({ root });
    assert.equal(d.version, 1);
    assert.deepEqual(d.open("tsbox-x")!.paths, [
      join(root, "memory/tsbox-x"),
      join(root, "cpu,cpuacct/tsbox-x"),
    ]);
    assert.equal(d.open("tsbox-y"), undefined);
    assert.throws(
      () => d.validate(parseResourceFlags({ "pids-limit": "5" }, HOST)),
      (e: unknown) =>
        e instanceof CgroupError && /'pids' hierarchy is not mounted.*--pids-limit/.test(e.message),
    );
    assert.throws(() => d.create("tsbox-z", { cpusetCpus: "0" }), CgroupError);
    assert.equal(d.open("tsbox-z"), undefined, "refused before mkdir");
    d.validate(parseResourceFlags({ memory: "64m", cpus: "1" }, HOST));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("openCgroups: no cgroup filesystem is a CgroupError", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-nocg-" });
  try {
    assert.throws(
      () => openCgroups({ root }),
      (e: unknown) => e instanceof CgroupError && /no cgroup filesystem/.test(e.message),
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
