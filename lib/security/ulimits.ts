/**
 * `--ulimit NAME=SOFT[:HARD]` → OCI `process.rlimits` (docker's names).
 * @module
 */

import { UsageError } from "../errors.ts";
import type { POSIXRlimit } from "../oci/spec.ts";

/** RLIMIT_* numbers (asm-generic, x86_64 and aarch64 alike), by docker's short name. */
export const RLIMITS: Record<string, number> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
};

/** RLIMIT_* number of an OCI rlimit type (`RLIMIT_NOFILE`), or undefined. */
export function rlimitNumber(type: string): number | undefined {
  return RLIMITS[type.replace(/^RLIMIT_/, "").toLowerCase()];
}

function limit(s: string, raw: string): number {
  if (!/^-?\d+$/.test(s)) throw new UsageError(`invalid ulimit argument: ${raw}`);
  const n = Number(s);
  return n < 0 ? -1 : n;
}

/**
 * Parse one `--ulimit` value. -1 means unlimited.
 * @throws {UsageError} unknown name, bad number, soft above hard.
 */
export function parseUlimit(raw: string): POSIXRlimit {
  const eq = raw.indexOf("=");
  if (eq <= 0) throw new UsageError(`invalid ulimit argument: ${raw}`);
  const name = raw.slice(0, eq);
  if (RLIMITS[name] === undefined) throw new UsageError(`invalid ulimit type: ${name}`);
  const [s, h, extra] = raw.slice(eq + 1).split(":");
  if (extra !== undefined) throw new UsageError(`too many limit value arguments - ${raw}`);
  const soft = limit(s, raw);
  const hard = h === undefined ? soft : limit(h, raw);
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    throw new UsageError(
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  }
  return { type: `RLIMIT_${name.toUpperCase()}`, soft, hard };
}
