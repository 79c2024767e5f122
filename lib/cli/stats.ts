/**
 * `tsbox stats [--no-stream] [--format json] [-a] [CONTAINER...]`: live
 * resource usage of containers from their cgroups, like `docker stats`.
 * CPU % needs two samples, so the first line appears after one interval;
 * without --no-stream the display is redrawn every second until ^C.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, type FlagDef, parseFlags, str } from "./flags.ts";
import { CgroupError, ContainerError } from "../errors.ts";
import { type ContainerRecord, listContainers } from "../container/store.ts";
import { type CgroupDriver, cgroupName, hostMemTotal, openCgroups } from "../cgroup/mod.ts";
import { formatStats, statsRow, type StatsSample } from "../cgroup/stats_view.ts";
import { compileTemplate } from "../template/format.ts";
import { netCounters } from "../container/net_io.ts";
import type { NetworkRecord } from "../container/create.ts";

const FLAGS: FlagDef[] = [
  { name: "all", short: "a", type: "bool" },
  { name: "no-stream", type: "bool" },
  { name: "no-trunc", type: "bool" },
  { name: "format", type: "string" },
  { name: "help", type: "bool" },
];

const USAGE = `Usage: tsbox stats [OPTIONS] [CONTAINER...]

Display a live stream of container(s) resource usage statistics.

Options:
  -a, --all          show all containers (default shows just running)
      --format FMT   "table" (default), "json" (one JSON object per line),
                     "table TEMPLATE" or a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}}
                     {{.NetIO}} {{.BlockIO}} …)
      --no-stream    print one result and exit
      --no-trunc     do not truncate container IDs`;

/** Time between the two samples of --no-stream, and between redraws. */
const NO_STREAM_INTERVAL_MS = 500;
const STREAM_INTERVAL_MS = 1000;

/**
 * The container `ref` names: exact id, exact name, or a unique id prefix.
 * @throws {ContainerError} no such container, or an ambiguous prefix.
 */
export function resolveContainer(all: ContainerRecord[], ref: string): ContainerRecord {
  const exact = all.find((c) => c.config.id === ref || c.config.name === ref.replace(/^\//, ""));
  if (exact) return exact;
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.config.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw new ContainerError(`multiple containers match id prefix ${ref}`);
  throw new ContainerError(`No such container: ${ref}`);
}

/** Read every container's cgroup; not running or cgroup gone → no stats. */
function sample(driver: CgroupDriver, recs: ContainerRecord[]): Map<string, StatsSample> {
  const out = new Map<string, StatsSample>();
  for (const r of recs) {
    const at = performance.now();
    const cg = r.state.status === "running" ? driver.open(cgroupName(r.config.id)) : undefined;
    let stats;
    try {
      stats = cg?.stats();
    } catch (err) {
      // the container stopped between listing and reading: show it as idle
      if (!(err instanceof CgroupError) || driver.open(cgroupName(r.config.id))) throw err;
    }
    // NET I/O: only a container with its own (bridge) namespace has traffic of its own
    const net = (r.config.network as NetworkRecord | undefined)?.opts.mode === "bridge" &&
        r.state.pid > 0
      ? netCounters(r.state.pid)
      : undefined;
    out.set(r.config.id, { at, stats, net });
  }
  return out;
}

/** `tsbox stats`. Reads /sys/fs/cgroup (no root needed to read). */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, FLAGS);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  const format = str(p, "format");
  // a bad template fails before the first sample, not after one interval
  if (format !== undefined && format !== "json") compileTemplate(format.replace(/^table/, ""));
  const stream = !bool(p, "no-stream");
  const truncate = !bool(p, "no-trunc");
  const driver = openCgroups();
  const hostMem = hostMemTotal();
  const tty = Deno.stdout.isTerminal();
  const asked = new Map<string, string>();

  // named containers are resolved once (an unknown one is an error up
  // front); otherwise the list is re-read each round, so new ones appear
  const targets = (): ContainerRecord[] => {
    const all = listContainers(ctx.paths);
    if (p.positionals.length) {
      return p.positionals.map((ref) => {
        const rec = resolveContainer(all, ref);
        asked.set(rec.config.id, ref);
        return rec;
      });
    }
    return all.filter((c) => bool(p, "all") || c.state.status === "running")
      .sort((a, b) => b.config.created.localeCompare(a.config.created));
  };

  let recs = targets();
  let prev = sample(driver, recs);
  const enc = new TextEncoder();
  for (;;) {
    await new Promise((r) => setTimeout(r, stream ? STREAM_INTERVAL_MS : NO_STREAM_INTERVAL_MS));
    const cur = sample(driver, recs);
    const rows = recs.map((r) =>
      statsRow(r.config.id, r.config.name, prev.get(r.config.id), cur.get(r.config.id)!, hostMem)
    );
    const text = formatStats(format, rows, truncate, asked);
    // redraw in place on a terminal (docker's clear + home); plain successive output otherwise
    const clear = stream && tty ? "\x1b[2J\x1b[H" : "";
    const data = enc.encode(clear + text);
    for (let off = 0; off < data.length;) off += await Deno.stdout.write(data.subarray(off));
    if (!stream) return 0;
    recs = targets();
    prev = cur;
  }
};
