/**
 * Build benchmark: `tsbox build` of a 5-step Dockerfile (FROM, COPY, RUN,
 * COPY, RUN) from a busybox base, cold (a fresh state root holding only the
 * base image) and cached (the same build again: every step CACHED).
 * Needs root.
 *
 * Standalone: `deno run -A bench/build_bench.ts [--runs 3]`.
 * @module
 */

import { join } from "node:path";
import { seedImage } from "../tests/run/_image.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";

/** Options of `runBuildBench`. */
export interface BuildBenchOptions {
  /** Timed runs of each kind; the median is reported (default 3). */
  runs?: number;
  /** Print progress and results (default true). */
  log?: boolean;
}

/** Result: median wall times in ms. */
export interface BuildBenchResult {
  coldMs: number;
  cachedMs: number;
}

const DOCKERFILE = `FROM busybox
COPY app/ /app/
RUN cd /app && cat a.txt b.txt > joined.txt && mkdir -p /out && cp joined.txt /out/
COPY data.bin /data/data.bin
RUN sha256sum /data/data.bin > /data/sum && ls -l /app /out
`;

/** Time cold and cached builds; everything created is removed before it returns. */
export async function runBuildBench(opts: BuildBenchOptions = {}): Promise<BuildBenchResult> {
  const runs = opts.runs ?? 3;
  const log = opts.log === false ? () => {} : (s: string) => console.log(s);
  const work = Deno.makeTempDirSync({ prefix: "tsbox-buildbench-" });
  try {
    const ctx = join(work, "ctx");
    Deno.mkdirSync(join(ctx, "app"), { recursive: true });
    Deno.writeTextFileSync(join(ctx, "Dockerfile"), DOCKERFILE);
    Deno.writeTextFileSync(join(ctx, "app/a.txt"), "a\n".repeat(1000));
    Deno.writeTextFileSync(join(ctx, "app/b.txt"), "b\n".repeat(1000));
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, i + 65536));
    }
    Deno.writeFileSync(join(ctx, "data.bin"), data);
    const cold: number[] = [];
    const cached: number[] = [];
    // run -1 is an untimed warm-up (page cache, deno's module cache)
    for (let i = -1; i < runs; i++) {
      const root = join(work, `root-${i}`);
      await seedImage(root);
      const t1 = await timed(() => build(root, ctx));
      const t2 = await timed(() => build(root, ctx));
      Deno.removeSync(root, { recursive: true });
      if (i < 0) continue;
      cold.push(t1);
      cached.push(t2);
    }
    const result = { coldMs: median(cold), cachedMs: median(cached) };
    log(`\nbuild of a 5-step Dockerfile (FROM, COPY, RUN, COPY 4 MB, RUN), ${runs} runs (median):`);
    log(
      `tsbox build, cold:     ${result.coldMs.toFixed(0)} ms   (${
        cold.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    log(
      `tsbox build, cached:   ${result.cachedMs.toFixed(0)} ms   (${
        cached.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    return result;
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
}

async function build(root: string, ctx: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: tsboxArgv(root, ["build", "-q", "-t", "bench:latest", ctx]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`tsbox build failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--runs");
  await runBuildBench({ runs: i >= 0 ? Number(Deno.args[i + 1]) : 3 });
}
