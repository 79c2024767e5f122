/**
 * Reading a container's json log for `logs`: `--tail`, `--since`/`--until`,
 * `-t`, and `-f`, which polls the file and ends once the container is no
 * longer running and its supervisor has written the last line.
 * @module
 */

import type { Paths } from "../paths.ts";
import { UsageError } from "../errors.ts";
import { type LogEntry, logFiles, logPath, parseLogLines } from "./log_file.ts";
import { readContainer } from "./store.ts";
import { type LiveState, monitorAlive } from "./live.ts";
import { isSameProcess } from "./proc.ts";
import { k8sLogPath, parseK8sLines } from "./k8s_log.ts";

/** `logs` options. */
export interface LogsOptions {
  follow: boolean;
  /** Last N entries; undefined = all. */
  tail?: number;
  timestamps: boolean;
  /** Epoch ms; entries before are skipped. */
  since?: number;
  /** Epoch ms; entries after are skipped. */
  until?: number;
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
};

/**
 * docker's time argument: RFC 3339 / date, Unix seconds (`1700000000.5`),
 * or a Go duration before now (`10m`, `1h30m`, `42s`). Returns epoch ms.
 * @throws {UsageError} none of those.
 */
export function parseTimeArg(s: string, now = Date.now()): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s) * 1000;
  const dur = /^(?:[0-9.]+(?:ns|us|µs|ms|s|m|h))+$/.test(s)
    ? [...s.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)].reduce(
      (t, m) => t + Number(m[1]) * UNITS[m[2]],
      0,
    )
    : NaN;
  if (!Number.isNaN(dur)) return now - dur;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(t)) {
    throw new UsageError(`invalid value for time: "${s}"`, {
      hint: "use RFC 3339, a Unix timestamp or a duration like 10m",
    });
  }
  return t;
}

/** The entries `logs` shows at once (before following). */
export function selectEntries(entries: LogEntry[], opts: LogsOptions): LogEntry[] {
  let out = entries.filter((e) => {
    const t = Date.parse(e.time);
    return (opts.since === undefined || t >= opts.since) &&
      (opts.until === undefined || t <= opts.until);
  });
  if (opts.tail !== undefined) out = opts.tail <= 0 ? [] : out.slice(-opts.tail);
  return out;
}

const enc = new TextEncoder();

function emit(e: LogEntry, timestamps: boolean): void {
  const text = enc.encode(timestamps ? `${e.time} ${e.log}` : e.log);
  const out = e.stream === "stderr" ? Deno.stderr : Deno.stdout;
  let n = 0;
  while (n < text.length) n += out.writeSync(text.subarray(n));
}

/** Bytes of `path` from `offset` (empty when missing). */
function readFrom(path: string, offset: number): Uint8Array {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Uint8Array(0); // never started
    throw err;
  }
  try {
    const size = f.statSync().size;
    if (size <= offset) return new Uint8Array(0);
    f.seekSync(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - offset);
    let n = 0;
    while (n < buf.length) {
      const r = f.readSync(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    f.close();
  }
}

/** True while more output may come: running, or its supervisor is still writing. */
function mayGrow(paths: Paths, id: string): boolean {
  const rec = readContainer(paths, id);
  if (!rec) return false; // removed
  const s = rec.state as LiveState;
  if (s.status !== "running") return false;
  return isSameProcess(s.pid, s.pidStartTime) || monitorAlive(s);
}

/** Inode and size of `path` (zeros when missing): a rotation replaces or truncates the file. */
function fileId(path: string): { ino: number; size: number } {
  try {
    const st = Deno.statSync(path);
    return { ino: st.ino ?? 0, size: st.size };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { ino: 0, size: 0 };
    throw err;
  }
}

/** True when conmon supervises (or last supervised) container `id`: its log is k8s-file. */
function conmonLogged(paths: Paths, id: string): boolean {
  return (readContainer(paths, id)?.state as LiveState | undefined)?.supervisor === "conmon";
}

const isK8s = (file: string) => file.endsWith("-k8s.log");

/**
 * The entries of `others` (older files, oldest first) then `current`'s;
 * sorted by time when both formats have entries (runs under both
 * supervisors), else in file order.
 */
function allEntries(others: string[], current: LogEntry[], currentK8s: boolean): LogEntry[] {
  const dec = new TextDecoder();
  const past = others.map((f) =>
    (isK8s(f) ? parseK8sLines : parseLogLines)(dec.decode(readFrom(f, 0)))
  );
  const kinds = new Set(others.filter((_, i) => past[i].length).map(isK8s));
  if (current.length) kinds.add(currentK8s);
  const all = [...past.flat(), ...current];
  return kinds.size > 1 ? all.sort((x, y) => Date.parse(x.time) - Date.parse(y.time)) : all;
}

/**
 * Print container `id`'s logs — across rotated files, oldest first, and
 * the log of runs under the other supervisor (json-file under tsbox's
 * monitor, k8s-file under conmon); with `follow`, until it stops (a
 * rotation while following is picked up).
 */
export async function showLogs(paths: Paths, id: string, opts: LogsOptions): Promise<void> {
  const conmon = conmonLogged(paths, id);
  const json = logFiles(paths, id);
  const path = conmon ? k8sLogPath(paths, id) : logPath(paths, id);
  const parse = conmon ? parseK8sLines : parseLogLines;
  const dec = new TextDecoder();
  let ino = fileId(path).ino;
  const first = readFrom(path, 0);
  // only whole lines: a line being written is picked up by the next read
  let offset = first.lastIndexOf(0x0a) + 1;
  const current = parse(dec.decode(first.subarray(0, offset)));
  const others = conmon ? json : [...json.slice(0, -1), k8sLogPath(paths, id)];
  for (const e of selectEntries(allEntries(others, current, conmon), opts)) {
    emit(e, opts.timestamps);
  }
  if (!opts.follow) return;
  for (;;) {
    const more = mayGrow(paths, id);
    const now = fileId(path);
    if (now.ino !== ino) {
      // rotated: finish the file we were reading (now <log>.1), then start the new one
      // (conmon keeps no older file: what it rotated away is gone)
      const rest = conmon ? new Uint8Array(0) : readFrom(`${path}.1`, offset);
      const whole = rest.subarray(0, rest.lastIndexOf(0x0a) + 1);
      for (const e of parseLogLines(dec.decode(whole))) emit(e, opts.timestamps);
      ino = now.ino;
      offset = 0;
    } else if (now.size < offset) offset = 0; // max-file=1: the file started over
    const chunk = readFrom(path, offset);
    const end = chunk.lastIndexOf(0x0a) + 1;
    if (end > 0) {
      offset += end;
      for (const e of parse(dec.decode(chunk.subarray(0, end)))) {
        if (opts.until !== undefined && Date.parse(e.time) > opts.until) return;
        emit(e, opts.timestamps);
      }
    }
    if (!more) return; // checked before the read: nothing written after it is missed
    await new Promise((r) => setTimeout(r, 100));
  }
}
