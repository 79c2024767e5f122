/**
 * What `tsbox stats` shows, computed and formatted (pure): CPU % from two
 * samples, memory usage against the limit (or the host's RAM when
 * unlimited, as docker does), pids; a docker-like table or JSON lines.
 * @module
 */

import type { CgroupStats } from "./types.ts";

/** One reading of a container's cgroup, with when it was taken. */
export interface StatsSample {
  /** Monotonic time of the reading, ms (`performance.now()`). */
  at: number;
  /** Counters; undefined when the container has no cgroup (not running). */
  stats?: CgroupStats;
}

/** One line of the display. */
export interface StatsRow {
  /** Full container id. */
  id: string;
  name: string;
  /** CPU time over wall time × 100 (100 = one full CPU). */
  cpuPercent: number;
  memUsage: number;
  /** Effective limit: the cgroup's, capped at the host's RAM. */
  memLimit: number;
  memPercent: number;
  pids: number;
}

/**
 * A row from two samples of one container (zeros when it has no cgroup).
 * @param hostMem total RAM in bytes, the limit shown for unlimited memory.
 */
export function statsRow(
  id: string,
  name: string,
  prev: StatsSample | undefined,
  cur: StatsSample,
  hostMem: number,
): StatsRow {
  const s = cur.stats;
  if (!s) return { id, name, cpuPercent: 0, memUsage: 0, memLimit: 0, memPercent: 0, pids: 0 };
  let cpuPercent = 0;
  if (prev?.stats && cur.at > prev.at) {
    const cpuNs = s.cpuUsageNs - prev.stats.cpuUsageNs;
    cpuPercent = Math.max(0, cpuNs / ((cur.at - prev.at) * 1e6) * 100);
  }
  const memLimit = s.memoryLimit === undefined || (hostMem > 0 && s.memoryLimit > hostMem)
    ? hostMem
    : s.memoryLimit;
  return {
    id,
    name,
    cpuPercent,
    memUsage: s.memoryUsage,
    memLimit,
    memPercent: memLimit > 0 ? (s.memoryUsage / memLimit) * 100 : 0,
    pids: s.pids,
  };
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes the way docker prints them (Go `%.4g` + binary unit): `1.523MiB`, `64MiB`, `0B`. */
export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))}${UNITS[i]}`;
}

/** The display strings of a row, keyed like docker's `--format json` fields. */
export function rowFields(r: StatsRow, truncate = true): Record<string, string> {
  return {
    ID: truncate ? r.id.slice(0, 12) : r.id,
    Name: r.name,
    CPUPerc: `${r.cpuPercent.toFixed(2)}%`,
    MemUsage: `${formatBytes(r.memUsage)} / ${formatBytes(r.memLimit)}`,
    MemPerc: `${r.memPercent.toFixed(2)}%`,
    PIDs: String(r.pids),
  };
}

const COLUMNS: [string, string][] = [
  ["CONTAINER ID", "ID"],
  ["NAME", "Name"],
  ["CPU %", "CPUPerc"],
  ["MEM USAGE / LIMIT", "MemUsage"],
  ["MEM %", "MemPerc"],
  ["PIDS", "PIDs"],
];

/** The docker-like table (columns padded, three spaces apart), no trailing newline. */
export function formatTable(rows: StatsRow[], truncate = true): string {
  const cells = [
    COLUMNS.map(([h]) => h),
    ...rows.map((r) => {
      const f = rowFields(r, truncate);
      return COLUMNS.map(([, k]) => f[k]);
    }),
  ];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  return cells.map((row) =>
    row.map((v, c) => c === row.length - 1 ? v : v.padEnd(widths[c] + 3)).join("")
  )
    .join("\n");
}

/** One JSON object per row and line (docker's `--format json`); `container` is the name asked for. */
export function formatJsonLines(
  rows: StatsRow[],
  truncate = true,
  asked?: Map<string, string>,
): string {
  return rows.map((r) =>
    JSON.stringify({ Container: asked?.get(r.id) ?? r.id.slice(0, 12), ...rowFields(r, truncate) })
  )
    .join("\n");
}
