/** The v1 plan for OCI limits and live updates (pure). */

import assert from "node:assert/strict";
import { ociResources, planV1 } from "../../lib/cgroup/mod.ts";

const DIRS = {
  memory: "/cg/memory/docker/x",
  cpu: "/cg/cpu/docker/x",
  cpuset: "/cg/cpuset/docker/x",
  pids: "/cg/pids/docker/x",
  blkio: "/cg/blkio/docker/x",
  hugetlb: "/cg/hugetlb/docker/x",
};
const M = 1 << 20;
const short = (
  w: { path: string; value: string },
) => [w.path.replace(/^\/cg\/|docker\/x\//g, ""), w.value];

Deno.test("planV1: OCI memory, cpu, pids, blkio and hugetlb limits in write order", () => {
  const limits = ociResources({
    memory: { limit: 64 * M, swap: 128 * M, swappiness: 0, disableOOMKiller: true },
    cpu: { shares: 1024, cpus: "0", mems: "0" },
    pids: { limit: 9 },
    blockIO: { weight: 200 },
    hugepageLimits: [{ pageSize: "2MB", limit: 4 * M }],
  });
  const writes = planV1(limits, {
    dirs: DIRS,
    swapAccounting: true,
    parentCpuset: { cpus: "0-1", mems: "0" },
    blkioWeightFile: "blkio.bfq.weight",
  });
  assert.deepEqual(writes.map(short), [
    ["cpuset/cpuset.cpus", "0"],
    ["cpuset/cpuset.mems", "0"],
    ["memory/memory.limit_in_bytes", String(64 * M)],
    ["memory/memory.memsw.limit_in_bytes", String(128 * M)],
    ["memory/memory.swappiness", "0"],
    ["memory/memory.oom_control", "1"],
    ["cpu/cpu.shares", "1024"],
    ["pids/pids.max", "9"],
    ["blkio/blkio.bfq.weight", "200"],
    ["hugetlb/hugetlb.2MB.limit_in_bytes", String(4 * M)],
  ]);
});

Deno.test("planV1: no blkio weight file on the host means the weight is skipped", () => {
  const writes = planV1({ blkioWeight: 500 }, { dirs: DIRS, swapAccounting: true });
  assert.deepEqual(writes, []);
});

Deno.test("planV1: an update writes only what is set (no cpuset inherit)", () => {
  assert.deepEqual(planV1({ pidsLimit: 3 }, { dirs: DIRS, swapAccounting: true }).map(short), [
    ["pids/pids.max", "3"],
  ]);
});

Deno.test("planV1: raising memory above the current memsw writes memsw first", () => {
  const up = { memory: 256 * M, memorySwap: 512 * M };
  const ctx = { dirs: DIRS, swapAccounting: true };
  assert.deepEqual(planV1(up, { ...ctx, currentMemsw: 128 * M }).map(short), [
    ["memory/memory.memsw.limit_in_bytes", String(512 * M)],
    ["memory/memory.limit_in_bytes", String(256 * M)],
  ]);
  // lowering, or from unlimited: the limit first
  const down = { memory: 32 * M, memorySwap: 64 * M };
  assert.deepEqual(planV1(down, { ...ctx, currentMemsw: 128 * M }).map(short), [
    ["memory/memory.limit_in_bytes", String(32 * M)],
    ["memory/memory.memsw.limit_in_bytes", String(64 * M)],
  ]);
  assert.deepEqual(planV1(up, { ...ctx, currentMemsw: 2 ** 63 - 4096 }).map((w) => w.value), [
    String(256 * M),
    String(512 * M),
  ]);
  // back to unlimited: memsw first, as -1 is above everything
  assert.deepEqual(
    planV1(ociResources({ memory: { limit: -1 } }), { ...ctx, currentMemsw: 128 * M }).map(short),
    [["memory/memory.memsw.limit_in_bytes", "-1"], ["memory/memory.limit_in_bytes", "-1"]],
  );
});
