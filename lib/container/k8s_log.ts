/**
 * The container log conmon writes (its `k8s-file` driver, the CRI format):
 * one line per entry, `TIMESTAMP STREAM TAG TEXT`, with an RFC 3339 time
 * to the nanosecond in the host's zone, `stdout`/`stderr`, and `F` for a
 * full line (its newline stripped) or `P` for a part (a line longer than
 * conmon's buffer, or a last line without newline). Read into the same
 * entries as the json-file log, so `logs` shows both alike. Pure.
 * @module
 */

import { join } from "../posix_path.ts";
import type { Paths } from "../paths.ts";
import { containerDir } from "../paths.ts";
import type { LogEntry } from "./log_file.ts";

/** Where conmon logs container `id` (`containers/<id>/<id>-k8s.log`). */
export function k8sLogPath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), `${id}-k8s.log`);
}

const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * An RFC 3339 time in any zone as UTC with its fraction kept (docker's
 * `logs -t` prints UTC to the nanosecond); undefined when it is none.
 */
export function utcTime(t: string): string | undefined {
  const m = TIME_RE.exec(t);
  if (!m) return undefined;
  const [, base, frac = "", zone] = m;
  if (zone === "Z" || zone === "+00:00" || zone === "-00:00") return `${base}${frac}Z`;
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}${frac}Z`;
}

/** One line of a k8s-file log as an entry; undefined for a torn or foreign line. */
export function parseK8sLine(line: string): LogEntry | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  // "P"/"F" and the text; an empty full line may end right after its tag
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  if (tag !== "F" && tag !== "P") return undefined;
  const time = utcTime(line.slice(0, a));
  if (!time) return undefined;
  const text = c < 0 ? "" : line.slice(c + 1);
  return { stream, time, log: tag === "F" ? `${text}\n` : text };
}

/** Parse the complete lines of a k8s-file log; torn or foreign lines are skipped. */
export function parseK8sLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const l of text.split("\n")) {
    if (!l) continue;
    const e = parseK8sLine(l);
    if (e) out.push(e);
  }
  return out;
}
