/**
 * `--filter key=value` as docker parses it: the flag value must have an
 * `=` (else a flag error, exit 125), the key must be one the command knows
 * (else `invalid filter 'key'`, exit 1, docker's daemon wording); values
 * of one key are OR'ed, different keys AND'ed. Labels (`label=k`,
 * `label=k=v`) must all match. Pure.
 * @module
 */

import { FilterError, FlagError } from "./errors.ts";

/** Parsed filters: key → values in the order given. */
export type Filters = Map<string, string[]>;

/**
 * Parse `--filter` flag values against the keys a command supports.
 * @throws {FlagError} a value without `=` (exit 125, as docker's flag parsing).
 * @throws {FilterError} an unknown key (exit 1).
 */
export function parseFilters(flags: string[], keys: readonly string[]): Filters {
  const out: Filters = new Map();
  for (const f of flags) {
    const eq = f.indexOf("=");
    if (eq < 1) {
      throw new FlagError(
        `invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`,
      );
    }
    const k = f.slice(0, eq).trim().toLowerCase();
    if (!keys.includes(k)) throw new FilterError(`invalid filter '${k}'`);
    out.set(k, [...(out.get(k) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

/** True when `labels` has every `k` / `k=v` of the `label` filter values. */
export function matchLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  for (const w of wanted ?? []) {
    const eq = w.indexOf("=");
    const k = eq < 0 ? w : w.slice(0, eq);
    if (!Object.hasOwn(labels, k)) return false;
    if (eq >= 0 && labels[k] !== w.slice(eq + 1)) return false;
  }
  return true;
}

/** `label!=k[=v]` filters: true when `labels` matches none of them. */
export function matchNotLabels(
  labels: Record<string, string>,
  unwanted: string[] | undefined,
): boolean {
  return (unwanted ?? []).every((w) => !matchLabels(labels, [w]));
}

/**
 * The `until` filter of prune: a Go duration before now (`10m`, `1h30m`),
 * a Unix time in seconds, or an RFC 3339 date/time; returns ms since the epoch.
 * @throws {FilterError} anything else.
 */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const dur = /^((\d+(\.\d+)?)(h|m|s|ms|us|ns))+$/.test(value)
    ? [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)].reduce(
      (ms, [, n, u]) =>
        ms + Number(n) * { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, ns: 1e-6 }[u]!,
      0,
    )
    : undefined;
  if (dur !== undefined) return now - dur;
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t;
  throw new FilterError(`invalid filter 'until=${value}'`, {
    hint: "a duration (10m, 24h), a Unix time or an RFC 3339 date",
  });
}

/** docker's filters.Match: a value matches as a regular expression (or plainly when it is not one). */
export function matchPattern(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return value.includes(pattern); // not a valid regex: plain substring
  }
}

/**
 * A boolean filter value (`dangling=true`): docker accepts true/false and 1/0.
 * @throws {FilterError} anything else.
 */
export function boolFilter(key: string, value: string): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new FilterError(`invalid filter '${key}=${value}'`, { hint: "use true or false" });
}

/** True when no value is given for `key`, or `test` accepts one of them. */
export function anyOf(f: Filters, key: string, test: (v: string) => boolean): boolean {
  const vs = f.get(key);
  return !vs || vs.some(test);
}
