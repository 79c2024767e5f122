/**
 * `run`/`create` resource flags → `ResourceLimits`, with docker's rules and
 * messages, before anything is created. Pure: host facts come in as
 * `HostInfo` (see `hostInfo()`).
 * @module
 */

import { UsageError } from "../errors.ts";
import type { HostInfo, ResourceLimits } from "./types.ts";
import { badValue, formatList, parseBytes, parseInteger, parseList } from "./units.ts";

/** Flag long names this parser understands (keys of `raw`). */
export const RESOURCE_FLAG_NAMES = [
  "memory",
  "memory-swap",
  "memory-reservation",
  "cpus",
  "cpu-shares",
  "cpu-period",
  "cpu-quota",
  "cpuset-cpus",
  "cpuset-mems",
  "pids-limit",
] as const;

/** docker's floor for --memory and --memory-reservation (linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS period used for --cpus, µs (docker's default). */
export const DEFAULT_CPU_PERIOD = 100_000;
/** cpu.shares bounds of the kernel (docker clamps into them). */
export const MIN_SHARES = 2;
/** cpu.shares bounds of the kernel (docker clamps into them). */
export const MAX_SHARES = 262_144;

/**
 * Parse and validate raw resource flags (long name → value as typed).
 * Defaults follow docker: `--memory-swap` is 2 × `--memory` when unset;
 * `--cpus N` means quota N × 100000 per 100000 µs; 0 means "not set" for
 * sizes, shares, period and quota; `--pids-limit` 0 or -1 means unlimited.
 * @throws {UsageError} naming the flag: unknown flag, negative, unknown unit,
 * below the 6 MB floor, swap < memory, cpuset outside the host, conflicts.
 */
export function parseResourceFlags(raw: Record<string, string>, host: HostInfo): ResourceLimits {
  for (const k of Object.keys(raw)) {
    if (!(RESOURCE_FLAG_NAMES as readonly string[]).includes(k)) {
      throw new UsageError(`unknown resource flag: --${k}`);
    }
  }
  const out: ResourceLimits = {};
  const has = (k: string) => raw[k] !== undefined;

  if (has("memory")) {
    const m = parseBytes("memory", raw.memory);
    if (m > 0 && m < MIN_MEMORY) {
      throw badValue("memory", raw.memory, "minimum memory limit allowed is 6MB");
    }
    if (m > 0) out.memory = m;
  }
  if (has("memory-reservation")) {
    const r = parseBytes("memory-reservation", raw["memory-reservation"]);
    if (r > 0 && r < MIN_MEMORY) {
      throw badValue(
        "memory-reservation",
        raw["memory-reservation"],
        "minimum memory reservation allowed is 6MB",
      );
    }
    if (r > 0 && out.memory !== undefined && r > out.memory) {
      throw badValue(
        "memory-reservation",
        raw["memory-reservation"],
        `must not exceed --memory (${raw.memory})`,
      );
    }
    if (r > 0) out.memoryReservation = r;
  }
  if (has("memory-swap")) {
    const v = raw["memory-swap"].trim();
    const s = v === "-1" ? -1 : parseBytes("memory-swap", v);
    if (s > 0 && out.memory === undefined) {
      throw badValue("memory-swap", v, "needs --memory too (it limits memory + swap)");
    }
    if (s > 0 && s < out.memory!) {
      throw badValue(
        "memory-swap",
        v,
        `must be at least --memory (${raw.memory}): it limits memory + swap`,
      );
    }
    if (s !== 0) out.memorySwap = s;
  }
  if (out.memory !== undefined && out.memorySwap === undefined) out.memorySwap = out.memory * 2;

  if (has("cpus")) {
    for (const other of ["cpu-quota", "cpu-period"]) {
      if (has(other)) {
        throw new UsageError(`conflicting options: --cpus and --${other} cannot both be set`);
      }
    }
    const v = raw.cpus.trim();
    if (v.startsWith("-")) throw badValue("cpus", raw.cpus, "must not be negative");
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v)) throw badValue("cpus", raw.cpus, "not a number");
    const cpus = Number(v);
    const n = host.cpus.length;
    if (cpus !== 0 && (cpus < 0.01 || cpus > n)) {
      throw badValue(
        "cpus",
        raw.cpus,
        `range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`,
      );
    }
    if (cpus > 0) {
      out.cpus = cpus;
      out.cpuPeriod = DEFAULT_CPU_PERIOD;
      out.cpuQuota = Math.round(cpus * DEFAULT_CPU_PERIOD);
    }
  }
  if (has("cpu-shares")) {
    const s = parseInteger("cpu-shares", raw["cpu-shares"]);
    if (s < 0) throw badValue("cpu-shares", raw["cpu-shares"], "must not be negative");
    // docker clamps into the kernel's range rather than failing
    if (s > 0) out.cpuShares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, s));
  }
  if (has("cpu-period")) {
    const p = parseInteger("cpu-period", raw["cpu-period"]);
    if (p < 0) throw badValue("cpu-period", raw["cpu-period"], "must not be negative");
    if (p !== 0 && (p < 1000 || p > 1_000_000)) {
      throw badValue(
        "cpu-period",
        raw["cpu-period"],
        "CPU cfs period can not be less than 1ms (1000) or larger than 1s (1000000)",
      );
    }
    if (p > 0) out.cpuPeriod = p;
  }
  if (has("cpu-quota")) {
    const q = parseInteger("cpu-quota", raw["cpu-quota"]);
    if (q < -1) {
      throw badValue("cpu-quota", raw["cpu-quota"], "must not be negative (-1 means unlimited)");
    }
    if (q > 0 && q < 1000) {
      throw badValue(
        "cpu-quota",
        raw["cpu-quota"],
        "CPU cfs quota can not be less than 1ms (1000)",
      );
    }
    if (q !== 0) out.cpuQuota = q;
  }
  if (has("cpuset-cpus")) {
    out.cpusetCpus = parseSet("cpuset-cpus", raw["cpuset-cpus"], host.cpus, "CPUs");
  }
  if (has("cpuset-mems")) {
    out.cpusetMems = parseSet("cpuset-mems", raw["cpuset-mems"], host.mems, "memory nodes");
  }
  if (has("pids-limit")) {
    const p = parseInteger("pids-limit", raw["pids-limit"]);
    if (p < -1) {
      throw badValue(
        "pids-limit",
        raw["pids-limit"],
        "must not be negative (0 or -1 means unlimited)",
      );
    }
    out.pidsLimit = p <= 0 ? -1 : p;
  }
  return out;
}

/** A cpuset list that must be a subset of what the host has online. */
function parseSet(flag: string, value: string, available: number[], what: string): string {
  const want = parseList(flag, value);
  const missing = want.filter((n) => !available.includes(n));
  if (missing.length) {
    throw badValue(
      flag,
      value,
      `requested ${what} are not available - requested ${formatList(want)}, available: ${
        formatList(available)
      }`,
    );
  }
  return formatList(want);
}
