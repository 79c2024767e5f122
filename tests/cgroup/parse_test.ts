/** Tests of resource flag parsing (pure) and the host facts it uses. */

import assert from "node:assert/strict";
import { hostInfo, parseResourceFlags } from "../../lib/cgroup/mod.ts";
import type { HostInfo } from "../../lib/cgroup/mod.ts";
import { formatList, parseBytes, parseList } from "../../lib/cgroup/units.ts";
import { UsageError } from "../../lib/errors.ts";

const HOST: HostInfo = { cpus: [0, 1, 2, 3], mems: [0] };
const MiB = 1024 * 1024;

/** Assert `raw` is refused with a UsageError naming `flag` and matching `re`. */
function refuses(raw: Record<string, string>, flag: string, re: RegExp): void {
  assert.throws(() => parseResourceFlags(raw, HOST), (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${err}`);
    assert.ok(err.message.includes(`--${flag}`), `message should name --${flag}: ${err.message}`);
    assert.match(err.message, re);
    assert.equal(err.exitCode, 125);
    return true;
  });
}

Deno.test("parseBytes: docker units are 1024-based and case-insensitive", () => {
  assert.equal(parseBytes("memory", "100"), 100);
  assert.equal(parseBytes("memory", "100b"), 100);
  assert.equal(parseBytes("memory", "4k"), 4096);
  assert.equal(parseBytes("memory", "32m"), 32 * MiB);
  assert.equal(parseBytes("memory", "32MB"), 32 * MiB);
  assert.equal(parseBytes("memory", "1.5g"), 1.5 * 1024 * MiB);
  assert.equal(parseBytes("memory", "2GiB"), 2 * 1024 * MiB);
});

Deno.test("parseList: ranges and singles, normalized back by formatList", () => {
  assert.deepEqual(parseList("cpuset-cpus", "0-2,5,3"), [0, 1, 2, 3, 5]);
  assert.equal(formatList(parseList("cpuset-cpus", "3,0-2,5")), "0-3,5");
  assert.equal(formatList([]), "");
});

Deno.test("parseResourceFlags: no flags gives no limits", () => {
  assert.deepEqual(parseResourceFlags({}, HOST), {});
});

Deno.test("parseResourceFlags: memory defaults swap to twice memory (docker)", () => {
  assert.deepEqual(parseResourceFlags({ memory: "64m" }, HOST), {
    memory: 64 * MiB,
    memorySwap: 128 * MiB,
  });
  assert.deepEqual(parseResourceFlags({ memory: "64m", "memory-swap": "-1" }, HOST), {
    memory: 64 * MiB,
    memorySwap: -1,
  });
  assert.deepEqual(parseResourceFlags({ memory: "64m", "memory-swap": "64m" }, HOST), {
    memory: 64 * MiB,
    memorySwap: 64 * MiB,
  });
  assert.deepEqual(parseResourceFlags({ memory: "64m", "memory-reservation": "32m" }, HOST), {
    memory: 64 * MiB,
    memorySwap: 128 * MiB,
    memoryReservation: 32 * MiB,
  });
  // 0 means "not set", as in docker
  assert.deepEqual(parseResourceFlags({ memory: "0" }, HOST), {});
});

Deno.test("parseResourceFlags: --cpus becomes quota per 100000 µs period", () => {
  assert.deepEqual(parseResourceFlags({ cpus: "0.5" }, HOST), {
    cpus: 0.5,
    cpuPeriod: 100000,
    cpuQuota: 50000,
  });
  assert.deepEqual(parseResourceFlags({ cpus: "1.25" }, HOST), {
    cpus: 1.25,
    cpuPeriod: 100000,
    cpuQuota: 125000,
  });
  assert.deepEqual(parseResourceFlags({ "cpu-period": "50000", "cpu-quota": "25000" }, HOST), {
    cpuPeriod: 50000,
    cpuQuota: 25000,
  });
  assert.deepEqual(parseResourceFlags({ "cpu-quota": "-1" }, HOST), { cpuQuota: -1 });
});

Deno.test("parseResourceFlags: shares, cpuset and pids", () => {
  assert.deepEqual(
    parseResourceFlags({
      "cpu-shares": "512",
      "cpuset-cpus": "3,0-1",
      "cpuset-mems": "0",
      "pids-limit": "20",
    }, HOST),
    { cpuShares: 512, cpusetCpus: "0-1,3", cpusetMems: "0", pidsLimit: 20 },
  );
  // docker clamps shares into the kernel's range; 0 and -1 pids mean unlimited
  assert.deepEqual(parseResourceFlags({ "cpu-shares": "1", "pids-limit": "0" }, HOST), {
    cpuShares: 2,
    pidsLimit: -1,
  });
  assert.deepEqual(parseResourceFlags({ "cpu-shares": "999999", "pids-limit": "-1" }, HOST), {
    cpuShares: 262144,
    pidsLimit: -1,
  });
});

Deno.test("parseResourceFlags: negative values are refused, naming the flag", () => {
  refuses({ memory: "-5m" }, "memory", /negative/);
  refuses({ memory: "64m", "memory-swap": "-2" }, "memory-swap", /negative/);
  refuses({ "memory-reservation": "-1" }, "memory-reservation", /negative/);
  refuses({ cpus: "-1" }, "cpus", /negative/);
  refuses({ "cpu-shares": "-10" }, "cpu-shares", /negative/);
  refuses({ "cpu-period": "-100000" }, "cpu-period", /negative/);
  refuses({ "cpu-quota": "-5" }, "cpu-quota", /negative/);
  refuses({ "pids-limit": "-2" }, "pids-limit", /negative/);
});

Deno.test("parseResourceFlags: unknown units and non-numbers are refused", () => {
  refuses({ memory: "12x" }, "memory", /unknown unit/);
  refuses({ memory: "lots" }, "memory", /not a size/);
  refuses({ "memory-reservation": "10q" }, "memory-reservation", /unknown unit/);
  refuses({ cpus: "half" }, "cpus", /not a number/);
  refuses({ "cpu-shares": "1.5" }, "cpu-shares", /not an integer/);
  refuses({ "pids-limit": "ten" }, "pids-limit", /not an integer/);
});

Deno.test("parseResourceFlags: memory below 6 MB and swap below memory are refused", () => {
  refuses({ memory: "5m" }, "memory", /6MB/);
  refuses({ memory: "4194304" }, "memory", /6MB/);
  refuses({ "memory-reservation": "1m" }, "memory-reservation", /6MB/);
  refuses({ memory: "64m", "memory-swap": "32m" }, "memory-swap", /at least --memory/);
  refuses({ "memory-swap": "128m" }, "memory-swap", /needs --memory/);
  refuses({ memory: "64m", "memory-reservation": "128m" }, "memory-reservation", /exceed --memory/);
});

Deno.test("parseResourceFlags: cpu ranges and conflicts are refused", () => {
  refuses({ cpus: "0.001" }, "cpus", /0\.01 to 4/);
  refuses({ cpus: "5" }, "cpus", /only 4 CPUs/);
  refuses({ cpus: "0.5", "cpu-quota": "50000" }, "cpu-quota", /conflicting/);
  refuses({ cpus: "0.5", "cpu-period": "50000" }, "cpu-period", /conflicting/);
  refuses({ "cpu-period": "500" }, "cpu-period", /1ms/);
  refuses({ "cpu-period": "2000000" }, "cpu-period", /1s/);
  refuses({ "cpu-quota": "999" }, "cpu-quota", /1ms/);
});

Deno.test("parseResourceFlags: cpuset outside the host's CPUs or nodes is refused", () => {
  refuses({ "cpuset-cpus": "4" }, "cpuset-cpus", /not available - requested 4, available: 0-3/);
  refuses({ "cpuset-cpus": "0-7" }, "cpuset-cpus", /not available/);
  refuses({ "cpuset-cpus": "a-b" }, "cpuset-cpus", /malformed/);
  refuses({ "cpuset-cpus": "3-1" }, "cpuset-cpus", /reversed/);
  refuses({ "cpuset-mems": "1" }, "cpuset-mems", /memory nodes are not available/);
  refuses({ "cpuset-mems": "" }, "cpuset-mems", /empty/);
});

Deno.test("parseResourceFlags: an unknown key is refused", () => {
  refuses({ "memory-swappiness": "10" }, "memory-swappiness", /unknown resource flag/);
});

Deno.test("hostInfo: reads the online CPUs and nodes of this machine", () => {
  const h = hostInfo();
  const online = Deno.readTextFileSync("/sys/devices/system/cpu/online").trim();
  assert.equal(formatList(h.cpus), formatList(parseList("x", online)));
  assert.ok(h.mems.includes(0));
});

Deno.test("hostInfo: a kernel without NUMA nodes counts as node 0", () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-sysdev-" });
  try {
    Deno.mkdirSync(`${dir}/cpu`);
    Deno.writeTextFileSync(`${dir}/cpu/online`, "0-5,7\n");
    assert.deepEqual(hostInfo(dir), { cpus: [0, 1, 2, 3, 4, 5, 7], mems: [0] });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
