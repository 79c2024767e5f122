/**
 * Start-up trace for `deno task bench`'s breakdown of `run`: with
 * `TSBOX_TRACE=FILE`, every tsbox process of a start (the CLI, the init)
 * appends `<epoch ms> <pid> <label>` lines to FILE. The file is opened at
 * the first mark and kept open, so the init's marks after pivot_root
 * still land; it is close-on-exec, so the container never holds it.
 * Without the variable a mark costs one check. Not for timing in tests.
 * @module
 */

const path = Deno.env.get("TSBOX_TRACE");
/** The open file, shared by the copies of this module the bundled build's files hold. */
const OPEN = Symbol.for("tsbox.traceFile");
const shared = globalThis as { [OPEN]?: Deno.FsFile };

/** Append a mark (no-op unless TSBOX_TRACE is set). */
export function trace(label: string): void {
  if (!path) return;
  const t = performance.timeOrigin + performance.now();
  let file = shared[OPEN];
  if (!file) {
    file = shared[OPEN] = Deno.openSync(path, { append: true, create: true });
    // when this process started (before Deno's own start-up), and as what
    const what = Deno.args.find((a) => /^(__)?[a-z]/.test(a) && !a.startsWith("/")) ?? "tsbox";
    file.writeSync(
      new TextEncoder().encode(`${performance.timeOrigin.toFixed(2)} ${Deno.pid} (${what} exec)\n`),
    );
  }
  file.writeSync(new TextEncoder().encode(`${t.toFixed(2)} ${Deno.pid} ${label}\n`));
}
