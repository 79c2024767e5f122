/**
 * Build progress in BuildKit's plain format on stderr: `#N [stage k/n]
 * INSTRUCTION`, the step's output as `#N line`, then `#N CACHED`,
 * `#N DONE 0.3s` or `#N ERROR: …`. `-q` prints nothing. (`--progress tty`
 * prints the same lines.)
 * @module
 */

/** Where progress goes. */
export class Progress {
  #n = 0;
  #start = new Map<number, number>();
  constructor(private readonly write: (line: string) => void, private readonly quiet: boolean) {}

  #out(line: string): void {
    if (!this.quiet) this.write(line);
  }

  /** A new step; returns its number. */
  begin(label: string): number {
    const n = ++this.#n;
    this.#start.set(n, performance.now());
    this.#out(`#${n} ${label}`);
    return n;
  }

  /** A line the step's command printed. */
  output(n: number, line: string): void {
    this.#out(`#${n} ${line}`);
  }

  /** The step was taken from the cache. */
  cached(n: number): void {
    this.#out(`#${n} CACHED`);
  }

  /** The step finished. */
  done(n: number): void {
    const s = (performance.now() - (this.#start.get(n) ?? performance.now())) / 1000;
    this.#out(`#${n} DONE ${s.toFixed(1)}s`);
  }

  /** The step failed. */
  error(n: number, message: string): void {
    this.#out(`#${n} ERROR: ${message}`);
  }

  /** A warning (printed even with -q, as docker does on stderr). */
  warn(message: string): void {
    this.write(`[Warning] ${message}`);
  }

  /** A final line (`#N naming to …`). */
  info(line: string): void {
    this.#out(line);
  }
}
