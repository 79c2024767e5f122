/**
 * Value syntaxes of the resource flags: docker's byte sizes (`512m`,
 * `1.5g`, binary multiples) and Linux CPU/node lists (`0-2,4`). Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

const MULTIPLIERS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** `invalid argument "<value>" for --<flag>: <why>` as a UsageError. */
export function badValue(flag: string, value: string, why: string): UsageError {
  return new UsageError(`invalid argument "${value}" for --${flag}: ${why}`);
}

/**
 * Parse a docker byte size (`RAMInBytes`): a number with an optional unit
 * b, k, m, g (also t, p; optional `i`/`b` suffix as in `kb`, `MiB`), 1024-based.
 * @throws {UsageError} negative, unknown unit, or too large.
 */
export function parseBytes(flag: string, value: string): number {
  const v = value.trim();
  if (v.startsWith("-")) throw badValue(flag, value, "must not be negative");
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?(i?b)?$/i.exec(v);
  if (!m) {
    const hint = /^\d/.test(v) ? "unknown unit (use b, k, m or g)" : "not a size";
    throw badValue(flag, value, hint);
  }
  const unit = (m[2] ?? (m[3] ? "b" : "")).toLowerCase();
  if (m[3] && m[3].toLowerCase() === "ib" && !m[2]) throw badValue(flag, value, "unknown unit");
  const bytes = Math.floor(Number(m[1]) * MULTIPLIERS[unit]);
  if (!Number.isSafeInteger(bytes)) throw badValue(flag, value, "too large");
  return bytes;
}

/**
 * Parse a decimal integer (optional leading `-`).
 * @throws {UsageError} not an integer or out of the safe range.
 */
export function parseInteger(flag: string, value: string): number {
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) throw badValue(flag, value, "not an integer");
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw badValue(flag, value, "out of range");
  return n;
}

/**
 * Parse a CPU/memory-node list (`0-3,5`) into ascending unique numbers.
 * @throws {UsageError} malformed list or reversed range.
 */
export function parseList(flag: string, value: string): number[] {
  const out = new Set<number>();
  if (value.trim() === "") throw badValue(flag, value, "empty list");
  for (const part of value.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw badValue(flag, value, `malformed list (expected e.g. 0-3,5)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw badValue(flag, value, `range ${part} is reversed`);
    if (hi - lo > 65536) throw badValue(flag, value, "range too large");
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** Format ascending numbers as a kernel list (`[0,1,2,4]` → `0-2,4`). */
export function formatList(nums: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < nums.length;) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    parts.push(j === i ? `${nums[i]}` : `${nums[i]}-${nums[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
