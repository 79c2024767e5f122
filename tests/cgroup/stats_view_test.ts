/** `tsbox stats` display math and formatting (pure). */

import assert from "node:assert/strict";
import { formatBytes, formatStats, statsRow } from "../../lib/cgroup/stats_view.ts";
import type { CgroupStats } from "../../lib/cgroup/mod.ts";
import { parseNetDev } from "../../lib/container/net_io.ts";

const ID = "0123456789ab" + "c".repeat(52);
const GiB = 1024 ** 3;
const st = (cpuUsageNs: number, extra: Partial<CgroupStats> = {}): CgroupStats => ({
  memoryUsage: 1.5 * 1024 * 1024,
  memoryLimit: 64 * 1024 * 1024,
  cpuUsageNs,
  pids: 3,
  pidsLimit: undefined,
  oomKills: 0,
  blkioRead: 4096,
  blkioWrite: 8192,
  ...extra,
});

Deno.test("formatBytes: docker's %.4g with binary units", () => {
  assert.equal(formatBytes(0), "0B");
  assert.equal(formatBytes(512), "512B");
  assert.equal(formatBytes(1536), "1.5KiB");
  assert.equal(formatBytes(64 * 1024 * 1024), "64MiB");
  assert.equal(formatBytes(1234567), "1.177MiB");
  assert.equal(formatBytes(7.6 * GiB), "7.6GiB");
});

Deno.test("statsRow: CPU % is CPU time over wall time between two samples", () => {
  const r = statsRow(
    ID,
    "web",
    { at: 1000, stats: st(0) },
    { at: 2000, stats: st(500_000_000) },
    8 * GiB,
  );
  assert.equal(r.cpuPercent, 50);
  assert.equal(r.memLimit, 64 * 1024 * 1024);
  assert.ok(Math.abs(r.memPercent - (1.5 / 64) * 100) < 1e-9);
  assert.equal(r.pids, 3);
  // first sample only: no rate yet
  assert.equal(statsRow(ID, "web", undefined, { at: 2000, stats: st(5e8) }, 8 * GiB).cpuPercent, 0);
});

Deno.test("statsRow: unlimited memory shows the host's RAM; no cgroup shows zeros", () => {
  const r = statsRow(
    ID,
    "web",
    undefined,
    { at: 1, stats: st(0, { memoryLimit: undefined }) },
    8 * GiB,
  );
  assert.equal(r.memLimit, 8 * GiB);
  assert.deepEqual(statsRow(ID, "old", undefined, { at: 1 }, 8 * GiB), {
    id: ID,
    name: "old",
    cpuPercent: 0,
    memUsage: 0,
    memLimit: 0,
    memPercent: 0,
    pids: 0,
    netRx: 0,
    netTx: 0,
    blockRead: 0,
    blockWrite: 0,
  });
});

Deno.test("formatStats: docker's table columns (tabwriter min width 10), ids truncated to 12", () => {
  const row = statsRow(
    ID,
    "web",
    { at: 0, stats: st(0) },
    { at: 1000, stats: st(12_345_678), net: { rx: 1450, tx: 0 } },
    8 * GiB,
  );
  const lines = formatStats(undefined, [row]).split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  assert.match(
    lines[0],
    /^CONTAINER ID {3}NAME {6}CPU % {5}MEM USAGE \/ LIMIT {3}MEM % {5}NET I\/O {7}BLOCK I\/O {8}PIDS$/,
  );
  assert.match(
    lines[1],
    /^0123456789ab {3}web {7}1\.23% {5}1\.5MiB \/ 64MiB {6}2\.34% {5}1\.45kB \/ 0B {3}4\.1kB \/ 8\.19kB {3}3$/,
  );
  assert.ok(formatStats(undefined, [row], false).includes(ID));
  assert.equal(formatStats("{{.Name}}:{{.PIDs}}", [row]), "web:3\n");
});

Deno.test("formatStats: json is one object per container with docker's keys", () => {
  const row = statsRow(ID, "web", undefined, { at: 0, stats: st(0) }, 8 * GiB);
  const obj = JSON.parse(formatStats("json", [row], true, new Map([[ID, "web"]])));
  assert.deepEqual(obj, {
    Container: "web",
    ID: "0123456789ab",
    Name: "web",
    CPUPerc: "0.00%",
    MemUsage: "1.5MiB / 64MiB",
    MemPerc: "2.34%",
    NetIO: "0B / 0B",
    BlockIO: "4.1kB / 8.19kB",
    PIDs: "3",
  });
});

Deno.test("parseNetDev: sums every interface but lo", () => {
  const text = [
    "Inter-|   Receive                                                |  Transmit",
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs",
    "    lo:  100 1 0 0 0 0 0 0  100 1 0 0 0 0 0 0",
    "  eth0: 1450 10 0 0 0 0 0 0  350 4 0 0 0 0 0 0",
    "  eth1:   50  1 0 0 0 0 0 0   50 1 0 0 0 0 0 0",
  ].join("\n");
  assert.deepEqual(parseNetDev(text), { rx: 1500, tx: 400 });
});
