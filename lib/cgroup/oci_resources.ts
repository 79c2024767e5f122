/**
 * OCI `linux.resources` → `ResourceLimits`, with runc's semantics, before
 * anything is created. Pure.
 *
 * - 0 means "not set" for sizes, shares, quota, period, pids and the
 *   block-IO weight (dockerd sends zeros for everything it leaves alone,
 *   also in `update --resources -`);
 * - -1 means unlimited for memory, reservation, swap, quota and pids; a
 *   memory limit of -1 with no swap makes swap unlimited too (runc);
 * - what runc ignores is ignored: kernel memory, `useHierarchy`,
 *   `checkBeforeUpdate`, `network` (net_cls/net_prio: not mounted here),
 *   `rdma`, blockIO `leafWeight`; swappiness and `disableOOMKiller` exist
 *   only on v1 and are dropped by the v2 driver;
 * - what tsbox cannot do yet is refused, not dropped: realtime CPU
 *   scheduling, `cpu.burst`, `cpu.idle`, per-device block-IO weights and
 *   throttling.
 * @module
 */

import { CgroupError, UsageError } from "../errors.ts";
import type { LinuxResources } from "../oci/spec.ts";
import type { ResourceLimits } from "./types.ts";
import { formatList, parseList } from "./units.ts";
import { MAX_SHARES, MIN_SHARES } from "./parse.ts";

/** Per-device block-IO fields tsbox does not implement. */
const BLKIO_UNSUPPORTED = [
  "weightDevice",
  "throttleReadBpsDevice",
  "throttleWriteBpsDevice",
  "throttleReadIOPSDevice",
  "throttleWriteIOPSDevice",
];

/** `invalid linux.resources.<field> <value>: <why>`. */
function invalid(field: string, value: unknown, why: string): CgroupError {
  return new CgroupError(
    `invalid linux.resources.${field} ${JSON.stringify(value)}: ${why}`,
  );
}

/** An integer field: undefined/0 → undefined; -1 → -1 when `minusOne`; else > 0. */
function amount(field: string, v: unknown, minusOne: boolean): number | undefined {
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw invalid(field, v, "not an integer");
  }
  if (v === -1 && minusOne) return -1;
  if (v < 0) throw invalid(field, v, minusOne ? "negative (-1 means unlimited)" : "negative");
  return v;
}

/** A cpu/node list (`0-2,4`), normalized; "" → undefined. */
function list(field: string, v: unknown): string | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw invalid(field, v, "not a string");
  try {
    return formatList(parseList(field, v));
  } catch (err) {
    if (err instanceof UsageError) throw invalid(field, v, "malformed list (expected e.g. 0-3,5)");
    throw err;
  }
}

/** Refuse a field tsbox does not implement when it is set to anything but its zero. */
function unsupported(field: string, v: unknown): void {
  const set = Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== 0;
  if (set) throw invalid(field, v, "not supported by tsbox");
}

/**
 * Convert `r` (absent = no limits). Device rules pass through unchanged
 * (the drivers validate them).
 * @throws {CgroupError} naming the field: not an integer, negative,
 *   out of range (shares 2…262144, swappiness 0…100, weight 10…1000),
 *   swap below the memory limit, a malformed cpu list, page size or
 *   unified entry, or a field tsbox does not support.
 */
export function ociResources(r: LinuxResources | undefined): ResourceLimits {
  const out: ResourceLimits = {};
  if (!r) return out;
  if (r.devices !== undefined) out.devices = r.devices;

  const m = r.memory ?? {};
  out.memory = amount("memory.limit", m.limit, true);
  out.memoryReservation = amount("memory.reservation", m.reservation, true);
  out.memorySwap = amount("memory.swap", m.swap, true);
  if (out.memory === -1 && out.memorySwap === undefined) out.memorySwap = -1;
  if (
    out.memorySwap !== undefined && out.memorySwap > 0 && out.memory !== undefined &&
    out.memory > 0 && out.memorySwap < out.memory
  ) {
    throw invalid("memory.swap", m.swap, "memory+swap must be at least memory.limit");
  }
  const sw = m.swappiness as unknown;
  if (sw !== undefined && sw !== null && sw !== -1) {
    if (typeof sw !== "number" || !Number.isSafeInteger(sw) || sw < 0 || sw > 100) {
      throw invalid("memory.swappiness", sw, "must be 0…100");
    }
    out.memorySwappiness = sw;
  }
  if (m.disableOOMKiller === true) out.oomKillDisable = true;

  const c = r.cpu ?? {};
  const shares = amount("cpu.shares", c.shares, false);
  if (shares !== undefined && (shares < MIN_SHARES || shares > MAX_SHARES)) {
    throw invalid("cpu.shares", c.shares, `must be ${MIN_SHARES}…${MAX_SHARES}`);
  }
  out.cpuShares = shares;
  out.cpuQuota = amount("cpu.quota", c.quota, true);
  out.cpuPeriod = amount("cpu.period", c.period, false);
  out.cpusetCpus = list("cpu.cpus", c.cpus);
  out.cpusetMems = list("cpu.mems", c.mems);
  unsupported("cpu.realtimeRuntime", c.realtimeRuntime);
  unsupported("cpu.realtimePeriod", c.realtimePeriod);
  unsupported("cpu.burst", c.burst);
  unsupported("cpu.idle", c.idle);

  if (r.pids) {
    const p = r.pids.limit as unknown;
    if (typeof p !== "number" || !Number.isSafeInteger(p)) {
      throw invalid("pids.limit", p, "not an integer");
    }
    if (p !== 0) out.pidsLimit = p < 0 ? -1 : p;
  }

  const b = (r.blockIO ?? {}) as Record<string, unknown>;
  const weight = amount("blockIO.weight", b.weight, false);
  if (weight !== undefined && (weight < 10 || weight > 1000)) {
    throw invalid("blockIO.weight", b.weight, "must be 10…1000");
  }
  out.blkioWeight = weight;
  for (const f of BLKIO_UNSUPPORTED) unsupported(`blockIO.${f}`, b[f]);

  if (r.hugepageLimits?.length) {
    out.hugepageLimits = r.hugepageLimits.map((h, i) => {
      const field = `hugepageLimits[${i}]`;
      if (typeof h?.pageSize !== "string" || !/^[1-9]\d*[KMGT]B$/.test(h.pageSize)) {
        throw invalid(`${field}.pageSize`, h?.pageSize, "not a page size like 2MB or 1GB");
      }
      if (typeof h.limit !== "number" || !Number.isSafeInteger(h.limit) || h.limit < 0) {
        throw invalid(`${field}.limit`, h.limit, "not a byte count");
      }
      return { pageSize: h.pageSize, limit: h.limit };
    });
  }

  if (r.unified && Object.keys(r.unified).length) {
    for (const [k, v] of Object.entries(r.unified)) {
      if (typeof v !== "string") throw invalid(`unified["${k}"]`, v, "the value must be a string");
    }
    out.unified = { ...r.unified };
  }

  for (const k of Object.keys(out) as (keyof ResourceLimits)[]) {
    if (out[k] === undefined) delete out[k];
  }
  return out;
}

/**
 * The limits after an `update`: `base` (what the container has) with every
 * field `change` sets replacing it — what the runtime stores and passes to
 * `ContainerCgroup.update` (writing unchanged values again is harmless, and
 * keeps v1's memsw/limit pair and v2's swap arithmetic consistent).
 */
export function mergeLimits(base: ResourceLimits, change: ResourceLimits): ResourceLimits {
  const out: ResourceLimits = { ...base };
  for (const [k, v] of Object.entries(change)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * `ResourceLimits` (what docker's flags parsed into) → OCI `linux.resources`,
 * the inverse of `ociResources`: converting the result back gives `r`
 * again, without `cpus` (already folded into quota and period). Empty
 * groups are left out. Pure.
 */
export function limitsToOci(r: ResourceLimits): LinuxResources {
  const drop = <T extends object>(o: T): T | undefined => {
    for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
    return Object.keys(o).length ? o : undefined;
  };
  const out: LinuxResources = {
    devices: r.devices,
    memory: drop({
      limit: r.memory,
      reservation: r.memoryReservation,
      swap: r.memorySwap,
      swappiness: r.memorySwappiness,
      disableOOMKiller: r.oomKillDisable || undefined,
    }),
    cpu: drop({
      shares: r.cpuShares,
      quota: r.cpuQuota,
      period: r.cpuPeriod,
      cpus: r.cpusetCpus,
      mems: r.cpusetMems,
    }),
    pids: r.pidsLimit !== undefined ? { limit: r.pidsLimit } : undefined,
    blockIO: r.blkioWeight !== undefined ? { weight: r.blkioWeight } : undefined,
    hugepageLimits: r.hugepageLimits?.map((h) => ({ ...h })),
    unified: r.unified ? { ...r.unified } : undefined,
  };
  return drop(out) ?? {};
}
