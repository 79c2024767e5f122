/**
 * Push benchmark: `tsbox push` of a ~50 MB multi-layer image to a local
 * docker-registry, against `skopeo copy` of the same image from an OCI
 * layout, in the same run (each run pushes to a fresh registry, so no
 * blob is skipped or mounted). Needs root, docker-registry and skopeo.
 *
 * Standalone: `deno run -A bench/push_bench.ts [--mb 50] [--layers 5] [--runs 3]`.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import { buildImage, pushImage, sh, startRegistry } from "../tests/helpers/registry.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";

/** Result: median wall times in ms and their ratio (tsbox / skopeo). */
export interface PushBenchResult {
  tsboxMs: number;
  skopeoMs: number;
  ratio: number;
}

/** Build, load into a tsbox root (pull from a source registry), time both pushes to a second registry. */
export async function runPushBench(
  opts: { mb?: number; layers?: number; runs?: number } = {},
): Promise<PushBenchResult> {
  const mb = opts.mb ?? 50;
  const nLayers = opts.layers ?? 5;
  const runs = opts.runs ?? 3;
  const work = Deno.makeTempDirSync({ prefix: "tsbox-pushbench-" });
  const source = await startRegistry();
  try {
    const layout = join(work, "oci");
    const per = Math.floor((mb * 1024 * 1024) / nLayers);
    console.log(
      `push bench: building a ${nLayers + 1}-layer image with ${mb} MB of random content…`,
    );
    await buildImage(layout, "bench", [
      { kind: "edit", edit: makeBusyboxRootfs },
      ...Array.from({ length: nLayers }, (_, i) => ({
        kind: "edit" as const,
        edit: (rootfs: string) => {
          const b = new Uint8Array(per);
          for (let o = 0; o < per; o += 65536) crypto.getRandomValues(b.subarray(o, o + 65536));
          Deno.writeFileSync(join(rootfs, `random-${i}.bin`), b);
        },
      })),
    ]);
    await pushImage(layout, "bench", `${source.host}/bench/src:latest`);
    const root = join(work, "root");
    await sh(Deno.execPath(), tsboxArgv(root, ["pull", "-q", `${source.host}/bench/src:latest`]));
    const tsboxTimes: number[] = [];
    const skopeoTimes: number[] = [];
    for (let i = -1; i < runs; i++) {
      // a fresh registry for each push: nothing can be skipped or mounted
      const t1 = await withRegistry(async (host) => {
        const name = `${host}/bench/tsbox:latest`;
        await sh(
          Deno.execPath(),
          tsboxArgv(root, ["tag", `${source.host}/bench/src:latest`, name]),
        );
        let out = "";
        const t = await timed(async () => {
          out = await sh(Deno.execPath(), tsboxArgv(root, ["push", name]));
        });
        if (/already exists|Mounted from/.test(out)) throw new Error(`push skipped blobs:\n${out}`);
        await sh(Deno.execPath(), tsboxArgv(root, ["rmi", name]));
        return t;
      });
      const t2 = await withRegistry((host) =>
        timed(() =>
          sh("skopeo", [
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            `oci:${layout}:bench`,
            `docker://${host}/bench/skopeo:latest`,
          ])
        )
      );
      if (i < 0) continue; // warm-up
      tsboxTimes.push(t1);
      skopeoTimes.push(t2);
    }
    const tsboxMs = median(tsboxTimes);
    const skopeoMs = median(skopeoTimes);
    console.log(
      `tsbox push:    ${tsboxMs.toFixed(0)} ms   (${
        tsboxTimes.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    console.log(
      `skopeo copy:   ${skopeoMs.toFixed(0)} ms   (${
        skopeoTimes.map((t) => t.toFixed(0)).join(", ")
      })`,
    );
    console.log(`ratio tsbox / skopeo: ${(tsboxMs / skopeoMs).toFixed(2)}`);
    return { tsboxMs, skopeoMs, ratio: tsboxMs / skopeoMs };
  } finally {
    await source.stop();
    Deno.removeSync(work, { recursive: true });
  }
}

async function withRegistry<T>(fn: (host: string) => Promise<T>): Promise<T> {
  const reg = await startRegistry();
  try {
    return await fn(reg.host);
  } finally {
    await reg.stop();
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
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  await runPushBench({ mb: arg("mb"), layers: arg("layers"), runs: arg("runs") });
}
