/**
 * Pull progress output, docker-style. On a terminal: one redrawn line per
 * layer (status, bar, bytes) plus a total line with the transfer rate.
 * Otherwise: plain lines on each status change (`<digest12>: Pull complete`).
 * `none` prints only the summary lines; `quiet` prints nothing.
 * @module
 */

/** How to show progress. */
export type ProgressMode = "tty" | "plain" | "none" | "quiet";

/** Where output goes (`Deno.stdout` or `Deno.stderr`, or a fake in tests). */
export interface OutputStream {
  writeSync(p: Uint8Array): number;
  isTerminal(): boolean;
}

/** Docker's size format: decimal units, e.g. `2.31MB`. */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let u = 0;
  let v = n;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[u]}`;
}

interface Row {
  id: string;
  status: string;
  done: number;
  total: number;
  showBar: boolean;
}

/** Progress of one pull; methods are cheap and may be called per chunk. */
export class PullProgress {
  readonly mode: ProgressMode;
  #out: OutputStream;
  #rows: Row[] = [];
  #drawn = 0;
  #lastDraw = 0;
  #finished = false;
  #samples: { t: number; bytes: number }[] = [];
  #bytesNow = 0;
  #enc = new TextEncoder();

  constructor(out: OutputStream, mode: ProgressMode) {
    this.#out = out;
    this.mode = mode;
  }

  /** A line above the layer block (`latest: Pulling from library/busybox`), tty and plain modes. */
  note(text: string): void {
    if (this.mode === "quiet" || this.mode === "none") return;
    this.#redraw(true, () => this.#write(`${text}\n`));
  }

  /** A summary line (`Digest: …`, `Status: …`, warnings): every mode but quiet. */
  summary(text: string): void {
    if (this.mode === "quiet") return;
    this.#redraw(true, () => this.#write(`${text}\n`));
  }

  /** Set a layer's status (`Pulling fs layer`, `Already exists`, `Pull complete`…). */
  status(digest: string, status: string, total?: number): void {
    const row = this.#row(digest);
    if (row.status === status && total === undefined) return;
    row.status = status;
    row.showBar = status === "Downloading" || status === "Pushing";
    if (total !== undefined) row.total = total;
    if (this.mode === "plain") this.#write(`${row.id}: ${status}\n`);
    else if (this.mode === "tty") this.#redraw(true);
  }

  /** Bytes of a layer moved so far (including a resumed part); `active` is the status shown. */
  bytes(digest: string, done: number, active = "Downloading"): void {
    const row = this.#row(digest);
    this.#bytesNow += done - row.done;
    row.done = done;
    if (row.status !== active) this.status(digest, active);
    if (this.mode === "tty") this.#redraw(false);
  }

  /** Stop redrawing and leave the final block on screen. */
  finish(): void {
    if (this.mode === "tty" && !this.#finished) this.#redraw(true);
    this.#drawn = 0;
    this.#finished = true;
  }

  #row(digest: string): Row {
    const id = digest.replace(/^sha256:/, "").slice(0, 12);
    let row = this.#rows.find((r) => r.id === id);
    if (!row) {
      row = { id, status: "Waiting", done: 0, total: 0, showBar: false };
      this.#rows.push(row);
    }
    return row;
  }

  #rate(): number {
    const now = performance.now();
    this.#samples.push({ t: now, bytes: this.#bytesNow });
    while (this.#samples.length > 2 && now - this.#samples[0].t > 3000) this.#samples.shift();
    const first = this.#samples[0];
    const dt = (now - first.t) / 1000;
    return dt > 0.2 ? (this.#bytesNow - first.bytes) / dt : 0;
  }

  /** Redraw the layer block in place (throttled to 10/s unless forced); `between` prints above it. */
  #redraw(force: boolean, between?: () => void): void {
    if (this.mode !== "tty" || this.#finished) {
      between?.();
      return;
    }
    const now = performance.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    let s = this.#drawn ? `\x1b[${this.#drawn}A` : "";
    if (between) {
      s += "\x1b[J";
      this.#write(s);
      between();
      s = "";
      this.#drawn = 0;
    }
    const lines = this.#rows.map((r) => this.#line(r));
    let done = 0;
    let total = 0;
    for (const r of this.#rows) {
      done += r.total ? Math.min(r.done, r.total) : r.done;
      total += r.total;
    }
    if (this.#rows.length) {
      lines.push(
        `Total: ${formatBytes(done)}/${formatBytes(total)}  ${formatBytes(this.#rate())}/s`,
      );
    }
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.#drawn = lines.length;
    this.#write(s);
  }

  #line(r: Row): string {
    if (!r.showBar || !r.total) return `${r.id}: ${r.status}`;
    const width = 40;
    const filled = Math.min(width, Math.floor((r.done / r.total) * width));
    const bar = "=".repeat(Math.max(0, filled - 1)) + (filled ? ">" : "") +
      " ".repeat(width - filled);
    return `${r.id}: ${r.status} [${bar}] ${formatBytes(r.done)}/${formatBytes(r.total)}`;
  }

  #write(s: string): void {
    const bytes = this.#enc.encode(s);
    let off = 0;
    while (off < bytes.length) off += this.#out.writeSync(bytes.subarray(off));
  }
}
