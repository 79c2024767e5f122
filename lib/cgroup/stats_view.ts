/**
 * What `tsbox stats` shows, computed and formatted (pure): CPU % from two
 * samples, memory usage against the limit (or the host's RAM when
 * unlimited, as docker does), pids; shown through docker's `--format`.
 * @module
 */

import type { CgroupStats } from "./types.ts";
import { formatList } from "../template/format.ts";
import { humanSize } from "../image/format.ts";

/** One reading of a container's cgroup, with when it was taken. */
export interface StatsSample {
  /** Monotonic time of the reading, ms (`performance.now()`). */
  at: number;
  /** Counters; undefined when the container has no cgroup (not running). */
  stats?: CgroupStats;
  /** Network bytes of its namespace (none: no network of its own). */
  net?: { rx: number; tx: number };
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
  /** Bytes received / sent by its network namespace. */
  netRx: number;
  netTx: number;
  /** Block I/O bytes read / written by its cgroup. */
  blockRead: number;
  blockWrite: number;
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
  const netRx = cur.net?.rx ?? 0;
  const netTx = cur.net?.tx ?? 0;
  if (!s) {
    return {
      id,
      name,
      cpuPercent: 0,
      memUsage: 0,
      memLimit: 0,
      memPercent: 0,
      pids: 0,
      netRx,
      netTx,
      blockRead: 0,
      blockWrite: 0,
    };
  }
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
    netRx,
    netTx,
    blockRead: s.blkioRead ?? 0,
    blockWrite: s.blkioWrite ?? 0,
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
    NetIO: `${humanSize(r.netRx)} / ${humanSize(r.netTx)}`,
    BlockIO: `${humanSize(r.blockRead)} / ${humanSize(r.blockWrite)}`,
    PIDs: String(r.pids),
  };
}

const HEADERS = {
  Container: "CONTAINER",
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};

const DEFAULT_TABLE =
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/**
 * The rows through `--format` (undefined: docker's table; `json`: one object
 * per line; or a Go template). `asked` maps ids to the name given on the
 * command line (the `Container` field).
 * @throws {TemplateError} a bad template.
 */
export function formatStats(
  format: string | undefined,
  rows: StatsRow[],
  truncate = true,
  asked?: Map<string, string>,
): string {
  const data = rows.map((r) => {
    const f = rowFields(r, truncate);
    // keys in docker's --format json order (alphabetical, a Go map)
    return {
      BlockIO: f.BlockIO,
      CPUPerc: f.CPUPerc,
      Container: asked?.get(r.id) ?? r.id.slice(0, 12),
      ID: f.ID,
      MemPerc: f.MemPerc,
      MemUsage: f.MemUsage,
      Name: f.Name,
      NetIO: f.NetIO,
      PIDs: f.PIDs,
    };
  });
  return formatList(format, data, {
    defaultTable: DEFAULT_TABLE,
    headers: HEADERS,
    typeName: "*formatter.statsContext",
  });
}
