/**
 * docker's `--format` handling on top of the template engine: `table`
 * (optionally `table TEMPLATE`) with a header line aligned by tabwriter,
 * `json` (one JSON object per line), or any Go template, once per row;
 * `\t` and `\n` typed in the format become tab and newline. Also the
 * inspect variant (indented JSON array, compact `json`, or a template per
 * object). Pure: returns text.
 * @module
 */

import { TemplateError } from "../errors.ts";
import { parseTemplate, type Template } from "./parse.ts";
import { execute } from "./exec.ts";
import { FUNCS, goJson, HEADER_FUNCS } from "./funcs.ts";
import { tabwrite } from "./tabwriter.ts";

const KNOWN = new Set(Object.keys(FUNCS));

/**
 * Parse a template as docker does.
 * @throws {TemplateError} `template parsing error: template: :1: …`.
 */
export function compileTemplate(src: string): Template {
  try {
    return parseTemplate(src, KNOWN);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new TemplateError(`template parsing error: ${err.message}`);
  }
}

/**
 * Run `t` on `data`; an execution error is reported as docker's formatter does.
 * @throws {TemplateError} `template parsing error: template: :1:2: executing …`.
 */
export function runTemplate(t: Template, data: unknown, typeName?: string): string {
  try {
    return execute(t, data, { typeName });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new TemplateError(`template parsing error: ${err.message}`);
  }
}

/** What a list command passes to `formatList`. */
export interface ListFormatOptions {
  /** The command's default, used for no `--format` and for `--format table`: `table {{.ID}}\t…`. */
  defaultTable: string;
  /** Column name of each field for the table header (functions for methods such as Label). */
  headers: Record<string, unknown>;
  /** Type name used in "can't evaluate field X in type T". */
  typeName?: string;
}

/**
 * Render `rows` for `--format` (undefined: the default table). Every row
 * line ends in a newline; the result is "" when nothing is printed.
 * @throws {TemplateError} a bad template (docker exits 1).
 */
export function formatList(
  format: string | undefined,
  rows: readonly unknown[],
  opts: ListFormatOptions,
): string {
  let f = format === undefined || format === "" || format.trim() === "table"
    ? opts.defaultTable
    : format;
  const table = f.startsWith("table"); // docker's Format.IsTable
  if (table) f = f.slice("table".length);
  else if (f === "json") f = "{{json .}}";
  f = f.trim().replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  const t = compileTemplate(f);
  let body = "";
  for (const r of rows) body += runTemplate(t, r, opts.typeName) + "\n";
  if (!table) return body;
  const header = execute(t, opts.headers, { funcs: HEADER_FUNCS, lenient: true });
  return tabwrite(`${header}\n${body}`).replace(/\n$/, "") + "\n";
}

/**
 * `inspect`'s output: no format → indented JSON array; `json` → the array
 * on one line; a template → one line per object. A template that fails on
 * an object is reported for it, the others still print (docker's rule).
 * @returns the text and the per-object errors.
 * @throws {TemplateError} a template that does not parse (docker exits 64 for that one).
 */
export function formatInspect(
  format: string | undefined,
  objects: readonly unknown[],
): { text: string; errors: string[] } {
  if (format === undefined || format === "") {
    return { text: JSON.stringify(objects, null, 4) + "\n", errors: [] };
  }
  if (format === "json") return { text: goJson(objects) + "\n", errors: [] };
  let t: Template;
  try {
    t = compileTemplate(format);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new TemplateError(err.message, { exitCode: 64 });
  }
  const errors: string[] = [];
  let text = "";
  for (const o of objects) {
    try {
      text += runTemplate(t, o) + "\n";
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      errors.push(err.message);
    }
  }
  return { text: text || "\n", errors };
}

/** Write command output exactly (no extra newline), if any. */
export function writeOut(text: string): void {
  const data = new TextEncoder().encode(text);
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
}
