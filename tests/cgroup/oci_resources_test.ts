/** OCI linux.resources → ResourceLimits (pure), with the shapes the callers send. */

import assert from "node:assert/strict";
import {
  blkioToIoWeight,
  limitsToOci,
  mergeLimits,
  ociResources,
  type ResourceLimits,
} from "../../lib/cgroup/mod.ts";
import type { LinuxResources } from "../../lib/oci/spec.ts";
import { CgroupError } from "../../lib/errors.ts";

Deno.test("ociResources: dockerd's create resources (zeros = unset) keep only the devices", () => {
  const devices = [{ allow: false, access: "rwm" }, {
    allow: true,
    type: "c",
    major: 1,
    minor: 3,
    access: "rwm",
  }];
  assert.deepEqual(
    ociResources({
      devices,
      memory: { disableOOMKiller: false },
      cpu: { shares: 0 },
      blockIO: { weight: 0 },
    }),
    { devices },
  );
});

Deno.test("ociResources: dockerd's update --resources - JSON", () => {
  const json =
    '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}';
  assert.deepEqual(ociResources(JSON.parse(json)), { memory: 67108864, memorySwap: 134217728 });
});

Deno.test("ociResources: containerd's shares and podman's pids limit", () => {
  assert.deepEqual(ociResources({ cpu: { shares: 1024 } }), { cpuShares: 1024 });
  assert.deepEqual(ociResources({ pids: { limit: 2048 } }), { pidsLimit: 2048 });
  assert.deepEqual(ociResources({ pids: { limit: -1 } }), { pidsLimit: -1 });
  assert.deepEqual(ociResources({ pids: { limit: 0 } }), {});
  assert.deepEqual(ociResources(undefined), {});
});

Deno.test("ociResources: every supported field", () => {
  const r: LinuxResources = {
    memory: {
      limit: 64 << 20,
      reservation: 32 << 20,
      swap: -1,
      swappiness: 10,
      disableOOMKiller: true,
      kernel: 123,
    },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: "1,0", mems: "0" },
    pids: { limit: 10 },
    blockIO: { weight: 500, leafWeight: 300 },
    hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }],
    unified: { "memory.high": "50000000" },
    network: { classID: 7 },
  };
  assert.deepEqual(ociResources(r), {
    memory: 64 << 20,
    memoryReservation: 32 << 20,
    memorySwap: -1,
    memorySwappiness: 10,
    oomKillDisable: true,
    cpuShares: 512,
    cpuQuota: 50000,
    cpuPeriod: 100000,
    cpusetCpus: "0-1",
    cpusetMems: "0",
    pidsLimit: 10,
    blkioWeight: 500,
    hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }],
    unified: { "memory.high": "50000000" },
  });
});

Deno.test("ociResources: -1 means unlimited; memory -1 alone makes swap unlimited too", () => {
  assert.deepEqual(ociResources({ memory: { limit: -1 }, cpu: { quota: -1 } }), {
    memory: -1,
    memorySwap: -1,
    cpuQuota: -1,
  });
  assert.deepEqual(ociResources({ memory: { swappiness: -1 as unknown as number } }), {});
});

Deno.test("ociResources: an invalid value is one clear error naming the field", () => {
  const cases: [LinuxResources, RegExp][] = [
    [{ memory: { limit: -5 } }, /memory\.limit -5: negative/],
    [{ memory: { limit: 1.5 } }, /memory\.limit 1\.5: not an integer/],
    [{ memory: { limit: 64 << 20, swap: 32 << 20 } }, /memory\.swap .*at least memory\.limit/],
    [{ memory: { swappiness: 101 } }, /memory\.swappiness 101: must be 0…100/],
    [{ cpu: { shares: 1 } }, /cpu\.shares 1: must be 2…262144/],
    [{ cpu: { shares: 300000 } }, /cpu\.shares/],
    [{ cpu: { period: -1 } }, /cpu\.period -1: negative/],
    [{ cpu: { cpus: "0-" } }, /cpu\.cpus "0-": malformed list/],
    [{ cpu: { realtimeRuntime: 950000 } }, /cpu\.realtimeRuntime .*not supported by tsbox/],
    [{ cpu: { burst: 1000 } }, /cpu\.burst/],
    [{ pids: { limit: "x" as unknown as number } }, /pids\.limit "x": not an integer/],
    [{ blockIO: { weight: 5 } }, /blockIO\.weight 5: must be 10…1000/],
    [{ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }, /not supported/],
    [{ hugepageLimits: [{ pageSize: "2M", limit: 1 }] }, /hugepageLimits\[0\]\.pageSize "2M"/],
    [{ hugepageLimits: [{ pageSize: "2MB", limit: -1 }] }, /hugepageLimits\[0\]\.limit -1/],
    [{ unified: { "memory.high": 5 as unknown as string } }, /unified\["memory.high"\]/],
  ];
  for (const [r, re] of cases) {
    assert.throws(
      () => ociResources(r),
      (e: unknown) => e instanceof CgroupError && re.test(e.message) && !e.message.includes("\n"),
      JSON.stringify(r),
    );
  }
});

Deno.test("mergeLimits: fields the change sets replace the stored ones, the rest stay", () => {
  const stored = ociResources({ memory: { limit: 64 << 20, swap: 128 << 20 }, pids: { limit: 5 } });
  const change = ociResources(
    JSON.parse('{"memory":{"limit":33554432,"swap":0},"cpu":{"shares":0}}'),
  );
  assert.deepEqual(mergeLimits(stored, change), {
    memory: 32 << 20,
    memorySwap: 128 << 20,
    pidsLimit: 5,
  });
});

Deno.test("blkioToIoWeight: runc's conversion keeps the ends and the default", () => {
  assert.equal(blkioToIoWeight(10), 1);
  assert.equal(blkioToIoWeight(1000), 10000);
  assert.equal(blkioToIoWeight(500), 4950);
});

Deno.test("limitsToOci: every limit round-trips through ociResources (cpus folds into quota/period)", () => {
  const limits: ResourceLimits = {
    memory: 64 << 20,
    memorySwap: 128 << 20,
    memoryReservation: 32 << 20,
    cpus: 1.5,
    cpuShares: 512,
    cpuPeriod: 100000,
    cpuQuota: 150000,
    cpusetCpus: "0-1",
    cpusetMems: "0",
    pidsLimit: 50,
    devices: [{ allow: false, access: "rwm" }],
    memorySwappiness: 10,
    oomKillDisable: true,
    blkioWeight: 300,
    hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }],
    unified: { "memory.high": "max" },
  };
  const oci = limitsToOci(limits);
  assert.equal(oci.memory?.limit, 64 << 20);
  assert.equal(oci.cpu?.quota, 150000);
  assert.deepEqual(oci.pids, { limit: 50 });
  const { cpus: _folded, ...rest } = limits;
  assert.deepEqual(ociResources(oci), rest);
});

Deno.test("limitsToOci: no limits give no groups; -1 (unlimited) stays -1", () => {
  assert.deepEqual(limitsToOci({}), {});
  assert.deepEqual(limitsToOci({ oomKillDisable: false }), {});
  const oci = limitsToOci({ memory: 1 << 20, memorySwap: -1, pidsLimit: -1 });
  assert.deepEqual(oci, { memory: { limit: 1 << 20, swap: -1 }, pids: { limit: -1 } });
  assert.deepEqual(ociResources(oci), { memory: 1 << 20, memorySwap: -1, pidsLimit: -1 });
});
