/**
 * Pull benchmark: pull + unpack of a ~50 MB multi-layer image from a local
 * docker-registry with `tsbox pull`, against `skopeo copy` + `umoci unpack`
 * of the same image in the same run. Needs root (unpack chowns), the
 * docker-registry, skopeo and umoci binaries.
 *
 * Standalone: `deno run -A bench/pull_bench.ts [--mb 50] [--layers 5] [--runs 3]`.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import { buildImage, pushImage, sh, startRegistry } from "../tests/helpers/registry.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";

/** Options of `runPullBench`. */
export interface PullBenchOptions {
  /** Total random payload in MB (default 50). */
  mb?: number;
  /** Number of random layers on top of a busybox layer (default 5). */
  layers?: number;
  /** Timed runs per tool; the median is reported (default 3). */
  runs?: number;
  /** Print progress and results (default true). */
  log?: boolean;
}

/** Result: median wall times in ms and their ratio (tsbox / skopeo+umoci). */
export interface PullBenchResult {
  tsboxMs: number;
  skopeoUmociMs: number;
  ratio: number;
  imageBytes: number;
}

/**
 * Build the image, push it to a fresh local registry, time both pull paths.
 * Everything it starts or creates is stopped/removed before it returns.
 */
export async function runPullBench(opts: PullBenchOptions = {}): Promise<PullBenchResult> {
  const mb = opts.mb ?? 50;
  const nLayers = opts.layers ?? 5;
  const runs = opts.runs ?? 3;
  const log = opts.log === false ? () => {} : (s: string) => console.log(s);
  const work = Deno.makeTempDirSync({ prefix: "tsbox-pullbench-" });
  const reg = await startRegistry();
  try {
    const layout = join(work, "oci");
    const per = Math.floor((mb * 1024 * 1024) / nLayers);
    log(`building a ${nLayers + 1}-layer image with ${mb} MB of random content…`);
    await buildImage(layout, "bench", [
      { kind: "edit", edit: makeBusyboxRootfs },
      ...Array.from({ length: nLayers }, (_, i) => ({
        kind: "edit" as const,
        edit: (rootfs: string) =>
          Deno.writeFileSync(join(rootfs, `random-${i}.bin`), randomBytes(per)),
      })),
    ]);
    const ref = `${reg.host}/bench/pull:latest`;
    await pushImage(layout, "bench", ref);
    const imageBytes = dirSize(join(layout, "blobs"));

    const tsboxTimes: number[] = [];
    const otherTimes: number[] = [];
    // run -1 is an untimed warm-up of both paths (page cache, deno's module cache)
    for (let i = -1; i < runs; i++) {
      const root = join(work, `root-${i}`);
      const t1 = await timed(() => sh(Deno.execPath(), tsboxArgv(root, ["pull", "-q", ref])));
      Deno.removeSync(root, { recursive: true });
      const dest = join(work, `skopeo-${i}`);
      Deno.mkdirSync(dest);
      const t2 = await timed(async () => {
        await sh("skopeo", [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          `docker://${ref}`,
          `oci:${dest}/oci:bench`,
        ]);
        await sh("umoci", ["unpack", "--image", `${dest}/oci:bench`, join(dest, "bundle")]);
      });
      Deno.removeSync(dest, { recursive: true });
      if (i < 0) continue;
      tsboxTimes.push(t1);
      otherTimes.push(t2);
    }
    const tsboxMs = median(tsboxTimes);
    const skopeoUmociMs = median(otherTimes);
    const result = { tsboxMs, skopeoUmociMs, ratio: tsboxMs / skopeoUmociMs, imageBytes };
    log(
      `image: ${(imageBytes / 1e6).toFixed(1)} MB in ${
        nLayers + 1
      } layers, ${runs} runs each (median)`,
    );
    log(
      `tsbox pull:            ${tsboxMs.toFixed(0)} ms   (${
        tsboxTimes.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    log(
      `skopeo copy + umoci:   ${skopeoUmociMs.toFixed(0)} ms   (${
        otherTimes.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    log(`ratio tsbox / skopeo+umoci: ${result.ratio.toFixed(2)}`);
    return result;
  } finally {
    await reg.stop();
    Deno.removeSync(work, { recursive: true });
  }
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 64 KiB per call
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
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

function dirSize(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    total += e.isDirectory ? dirSize(p) : Deno.statSync(p).size;
  }
  return total;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  await runPullBench({ mb: arg("mb"), layers: arg("layers"), runs: arg("runs") });
}
