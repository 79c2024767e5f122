/**
 * The subset of Go templates that `--format` strings use in practice:
 * `{{.Field}}`, nested `{{.State.Status}}`, `{{.}}`, and `{{json .X}}`
 * (also `upper`, `lower`). `\t` and `\n` in the format become tab and
 * newline, as docker's formatter does. Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

const ACTION = /\{\{-?\s*(?:(json|upper|lower)\s+)?\.([A-Za-z0-9_.]*)\s*-?\}\}/g;

function lookup(data: unknown, path: string): unknown {
  if (path === "") return data;
  let v: unknown = data;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !(key in (v as Record<string, unknown>))) {
      throw new UsageError(`template: can't evaluate field ${key}`);
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Go's default printing of a value (maps/arrays as `map[…]` / `[a b]`). */
function show(v: unknown): string {
  if (v === null || v === undefined) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : 1);
    return `map[${entries.map(([k, x]) => `${k}:${show(x)}`).join(" ")}]`;
  }
  return String(v);
}

/**
 * Render `tpl` against `data`.
 * @throws {UsageError} a field that does not exist, or an unsupported action.
 */
export function renderTemplate(tpl: string, data: unknown): string {
  const rest = tpl.replace(ACTION, "");
  if (/\{\{/.test(rest)) {
    throw new UsageError(`template: unsupported action in ${JSON.stringify(tpl)}`);
  }
  return tpl.replace(ACTION, (_, fn: string | undefined, path: string) => {
    const v = lookup(data, path);
    if (fn === "json") return JSON.stringify(v ?? null);
    if (fn === "upper") return show(v).toUpperCase();
    if (fn === "lower") return show(v).toLowerCase();
    return show(v);
  }).replace(/\\t/g, "\t").replace(/\\n/g, "\n");
}
