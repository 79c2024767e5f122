/**
 * The functions a `--format` template can call: Go's text/template
 * built-ins (len, index, slice, print*, comparisons, not/and/or, html, js,
 * urlquery) and docker's additions (json, split, join, title, lower,
 * upper, pad, truncate), plus docker's header variants for `table`. Pure.
 * @module
 */

import { goString, goType, sprint, sprintf, truth } from "./go_value.ts";

/** A template function; throws a plain Error whose message Go would print. */
export type TemplateFunc = (...args: unknown[]) => unknown;

function arity(name: string, args: unknown[], n: number): void {
  if (args.length !== n) {
    throw new Error(`wrong number of args for ${name}: want ${n} got ${args.length}`);
  }
}

function str(name: string, v: unknown): string {
  if (typeof v !== "string") {
    throw new Error(
      `error calling ${name}: wrong type for value; expected string; got ${goType(v)}`,
    );
  }
  return v;
}

function int(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new Error(`error calling ${name}: wrong type for value; expected int; got ${goType(v)}`);
  }
  return v;
}

/** docker's json: encoding/json without HTML escaping, no trailing newline. */
export function goJson(v: unknown): string {
  return JSON.stringify(
    v === undefined ? null : v,
    (_k, x) => typeof x === "function" ? undefined : x,
  ) ?? "null";
}

function basicKind(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "number") return "number";
  if (typeof v === "string" || typeof v === "boolean") return typeof v;
  return "other";
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (!rest.length) throw new Error("missing argument for comparison");
  for (const b of rest) {
    const ka = basicKind(a);
    const kb = basicKind(b);
    if (ka === "other" || kb === "other") {
      throw new Error(`error calling eq: non-comparable type ${goString(ka === "other" ? a : b)}`);
    }
    if (ka !== kb && ka !== "nil" && kb !== "nil") {
      throw new Error("error calling eq: incompatible types for comparison");
    }
    if (a === b || (ka === "nil" && kb === "nil")) return true;
  }
  return false;
}

function order(name: string, a: unknown, b: unknown): number {
  const ka = basicKind(a);
  if (ka !== "number" && ka !== "string") {
    throw new Error(`error calling ${name}: invalid type for comparison`);
  }
  if (ka !== basicKind(b)) {
    throw new Error(`error calling ${name}: incompatible types for comparison`);
  }
  return (a as number) < (b as number) ? -1 : a === b ? 0 : 1;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === "string") {
      const i = int("index", k);
      if (i < 0 || i >= v.length) {
        throw new Error(`error calling index: index out of range: ${i}`);
      }
      v = typeof v === "string" ? v.charCodeAt(i) : v[i];
    } else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Object.hasOwn(o, String(k))) v = o[String(k)];
      else {
        // a missing key is the map's zero value: "" for a map of strings (labels)
        const vals = Object.values(o);
        v = vals.every((x) => typeof x === "string") ? "" : undefined;
      }
    } else if (v === null || v === undefined) {
      throw new Error("error calling index: index of untyped nil");
    } else throw new Error(`error calling index: can't index item of type ${goType(v)}`);
  }
  return v;
}

function slice(item: unknown, ...ix: unknown[]): unknown {
  if (!Array.isArray(item) && typeof item !== "string") {
    throw new Error(`error calling slice: can't slice item of type ${goType(item)}`);
  }
  if (ix.length > 2) throw new Error("error calling slice: too many slice indexes");
  const from = ix.length ? int("slice", ix[0]) : 0;
  const to = ix.length > 1 ? int("slice", ix[1]) : item.length;
  if (from < 0 || to > item.length || from > to) {
    throw new Error(`error calling slice: index out of range: ${from > to ? from : to}`);
  }
  return item.slice(from, to);
}

/** Functions every template gets (and/or are evaluated lazily by the executor). */
export const FUNCS: Record<string, TemplateFunc> = {
  json: (...a) => (arity("json", a, 1), goJson(a[0])),
  split: (...a) => (arity("split", a, 2), str("split", a[0]).split(str("split", a[1]))),
  join: (...a) => {
    arity("join", a, 2);
    if (!Array.isArray(a[0]) || !a[0].every((x) => typeof x === "string")) {
      throw new Error(
        `error calling join: wrong type for value; expected []string; got ${goType(a[0])}`,
      );
    }
    return a[0].join(str("join", a[1]));
  },
  title: (
    ...a
  ) => (arity("title", a, 1),
    str("title", a[0]).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p, c) => p + c.toUpperCase())),
  lower: (...a) => (arity("lower", a, 1), str("lower", a[0]).toLowerCase()),
  upper: (...a) => (arity("upper", a, 1), str("upper", a[0]).toUpperCase()),
  pad: (...a) => {
    arity("pad", a, 3);
    const s = str("pad", a[0]);
    return s === "" ? s : " ".repeat(int("pad", a[1])) + s + " ".repeat(int("pad", a[2]));
  },
  truncate: (...a) => {
    arity("truncate", a, 2);
    const s = str("truncate", a[0]);
    const n = int("truncate", a[1]);
    return s.length < n ? s : s.slice(0, n);
  },
  len: (...a) => {
    arity("len", a, 1);
    const v = a[0];
    if (typeof v === "string") return new TextEncoder().encode(v).length;
    if (Array.isArray(v)) return v.length;
    if (v && typeof v === "object") return Object.keys(v).length;
    throw new Error(`error calling len: len of type ${goType(v)}`);
  },
  index: (...a) => {
    if (!a.length) throw new Error("wrong number of args for index: want at least 1 got 0");
    return index(a[0], ...a.slice(1));
  },
  slice: (...a) => {
    if (!a.length) throw new Error("wrong number of args for slice: want at least 1 got 0");
    return slice(a[0], ...a.slice(1));
  },
  printf: (...a) => {
    if (!a.length) throw new Error("wrong number of args for printf: want at least 1 got 0");
    return sprintf(str("printf", a[0]), a.slice(1));
  },
  print: (...a) => sprint(a),
  println: (...a) => a.map(goString).join(" ") + "\n",
  eq: (...a) => eq(a[0], ...a.slice(1)),
  ne: (...a) => (arity("ne", a, 2), !eq(a[0], a[1])),
  lt: (...a) => (arity("lt", a, 2), order("lt", a[0], a[1]) < 0),
  le: (...a) => (arity("le", a, 2), order("le", a[0], a[1]) <= 0),
  gt: (...a) => (arity("gt", a, 2), order("gt", a[0], a[1]) > 0),
  ge: (...a) => (arity("ge", a, 2), order("ge", a[0], a[1]) >= 0),
  not: (...a) => (arity("not", a, 1), !truth(a[0])),
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  html: (...a) =>
    sprint(a).replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c]!,
    ),
  js: (...a) =>
    sprint(a).replace(/[\\'"<>&=\n\r\t]/g, (c) =>
      ({
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "<": "\\u003C",
        ">": "\\u003E",
        "&": "\\u0026",
        "=": "\\u003D",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
      })[c]!),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, "+"),
};

/**
 * docker's header functions for the `table` header line: they return the
 * column name unchanged instead of transforming it.
 */
export const HEADER_FUNCS: Record<string, TemplateFunc> = {
  ...FUNCS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};
