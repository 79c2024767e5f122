/**
 * Pull benchmark: pull + unpack from a local docker-registry with `tsbox
 * pull`, against `skopeo copy` + `umoci unpack` of the same image in the
 * same run, on two images: ~50 MB of random data in 6 layers (bytes-bound)
 * and a multi-thousand-file image built from directories of the host's
 * /usr (entry-bound: python, perl, docs). Needs root (unpack chowns), the
 * docker-registry, skopeo and umoci binaries.
 *
 * The file system is part of what is measured, so both tools write under
 * one directory, and two effects of an ext4 without a journal (as this
 * machine's root) are kept out: there, creating an inode scans past every
 * inode of its block group freed in the last minutes (`recently_deleted()`
 * in `find_inode_bit`, 0.4-0.7 ms per file here after a large `rm -r`, by
 * this bench's own image builds or by anyone else). So nothing is deleted
 * between timed runs, only at the end, and the runs' directory has ext4's
 * top-directory flag (`chattr +T`), which spreads each run's tree over
 * fresh block groups. A journaled ext4 never makes that scan.
 *
 * Standalone: `deno run -A bench/pull_bench.ts [--mb 50] [--layers 5] [--runs 3] [--no-files]`.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import {
  buildImage,
  type LayerStep,
  pushImage,
  sh,
  startRegistry,
} from "../tests/helpers/registry.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";

/** Options of `runPullBench`. */
export interface PullBenchOptions {
  /** Total random payload in MB (default 50). */
  mb?: number;
  /** Number of random layers on top of a busybox layer (default 5). */
  layers?: number;
  /** Timed runs per tool and image; the median is reported (default 5: this VM's phases move a median of 3). */
  runs?: number;
  /** Also time the many-files image (default true). */
  files?: boolean;
  /** Print progress and results (default true). */
  log?: boolean;
}

/** One image's result: median wall times in ms. */
export interface PullBenchRow {
  image: string;
  imageBytes: number;
  /** Entries in the image's layers. */
  entries: number;
  tsboxMs: number;
  skopeoUmociMs: number;
  /** skopeo+umoci / tsbox: how many times faster tsbox is. */
  speedup: number;
}

/** Result: one row per image. */
export interface PullBenchResult {
  rows: PullBenchRow[];
}

/** Host directories the many-files image is made of (those that exist), one layer each. */
const FILE_SOURCES = [
  ["/usr/lib/python3.11", "/usr/lib/python3"],
  ["/usr/share/perl", "/usr/lib/x86_64-linux-gnu/perl", "/usr/lib/x86_64-linux-gnu/perl-base"],
  ["/usr/share/doc"],
];

/**
 * Build the images, push them to a fresh local registry, time both pull paths.
 * Everything it starts or creates is stopped/removed before it returns.
 */
export async function runPullBench(opts: PullBenchOptions = {}): Promise<PullBenchResult> {
  const mb = opts.mb ?? 50;
  const nLayers = opts.layers ?? 5;
  const runs = opts.runs ?? 5;
  const log = opts.log === false ? () => {} : (s: string) => console.log(s);
  const work = Deno.makeTempDirSync({ prefix: "tsbox-pullbench-" });
  const reg = await startRegistry();
  try {
    const images: { name: string; steps: LayerStep[] }[] = [];
    const per = Math.floor((mb * 1024 * 1024) / nLayers);
    images.push({
      name: `${mb} MB random in ${nLayers + 1} layers`,
      steps: [
        { kind: "edit", edit: makeBusyboxRootfs },
        ...Array.from({ length: nLayers }, (_, i) => ({
          kind: "edit" as const,
          edit: (rootfs: string) =>
            Deno.writeFileSync(join(rootfs, `random-${i}.bin`), randomBytes(per)),
        })),
      ],
    });
    const sources = FILE_SOURCES.map((l) => l.filter(exists)).filter((l) => l.length);
    if (opts.files !== false && sources.length) {
      images.push({
        name: `host files (${sources.flat().join(", ")})`,
        steps: [
          { kind: "edit", edit: makeBusyboxRootfs },
          ...sources.map((dirs) => ({ kind: "tar" as const, fill: copyInto(dirs) })),
        ],
      });
    }
    const runsDir = join(work, "runs");
    Deno.mkdirSync(runsDir);
    const spread = await sh("chattr", ["+T", runsDir]).then(() => true, () => false);
    if (!spread) log("(chattr +T failed: timings may include ext4's recently-deleted inode scans)");
    const rows: PullBenchRow[] = [];
    for (const [n, img] of images.entries()) {
      log(`building image ${n + 1}: ${img.name}…`);
      const layout = join(work, `oci-${n}`);
      await buildImage(layout, "bench", img.steps);
      const ref = `${reg.host}/bench/pull-${n}:latest`;
      await pushImage(layout, "bench", ref);
      rows.push(await timeImage(runsDir, n, img.name, layout, ref, runs, log));
    }
    log(`\npull + unpack from a local registry, ${runs} runs each (median, same run):`);
    for (const r of rows) {
      log(
        `  ${(r.imageBytes / 1e6).toFixed(1)} MB, ${r.entries} entries: tsbox ${
          r.tsboxMs.toFixed(0)
        } ms, skopeo copy + umoci unpack ${r.skopeoUmociMs.toFixed(0)} ms → tsbox ${
          r.speedup.toFixed(2)
        }× faster (target ≥ 1.5×)`,
      );
    }
    return { rows };
  } finally {
    await reg.stop();
    Deno.removeSync(work, { recursive: true });
  }
}

/** Time both tools on one image (run -1 is an untimed warm-up); alternate which goes first. */
async function timeImage(
  work: string,
  n: number,
  name: string,
  layout: string,
  ref: string,
  runs: number,
  log: (s: string) => void,
): Promise<PullBenchRow> {
  const imageBytes = dirSize(join(layout, "blobs"));
  const tsboxTimes: number[] = [];
  const otherTimes: number[] = [];
  let entries = 0;
  for (let i = -1; i < runs; i++) {
    const root = join(work, `root-${n}-${i}`);
    const dest = join(work, `skopeo-${n}-${i}`);
    const tsbox = () => timed(() => sh(Deno.execPath(), tsboxArgv(root, ["pull", "-q", ref])));
    const other = () =>
      timed(async () => {
        Deno.mkdirSync(dest);
        await sh("skopeo", [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          `docker://${ref}`,
          `oci:${dest}/oci:bench`,
        ]);
        await sh("umoci", ["unpack", "--image", `${dest}/oci:bench`, join(dest, "bundle")]);
      });
    let t1: number, t2: number;
    if (i % 2 === 0) {
      t1 = await tsbox();
      t2 = await other();
    } else {
      t2 = await other();
      t1 = await tsbox();
    }
    if (i < 0) {
      entries = countEntries(join(root, "image", "layers"));
      continue;
    }
    tsboxTimes.push(t1);
    otherTimes.push(t2);
  }
  const tsboxMs = median(tsboxTimes);
  const skopeoUmociMs = median(otherTimes);
  log(
    `  ${name}: tsbox ${tsboxTimes.map((t) => t.toFixed(0)).join(", ")} ms; ` +
      `skopeo+umoci ${otherTimes.map((t) => t.toFixed(0)).join(", ")} ms`,
  );
  return {
    image: name,
    imageBytes,
    entries,
    tsboxMs,
    skopeoUmociMs,
    speedup: skopeoUmociMs / tsboxMs,
  };
}

/** A `tar` layer step's fill: copy `dirs` (with their paths) into the layer's dir. */
function copyInto(dirs: string[]): (dir: string) => void {
  return (dir: string) => {
    for (const src of dirs) {
      const dst = join(dir, src);
      Deno.mkdirSync(join(dst, ".."), { recursive: true });
      const r = new Deno.Command("cp", { args: ["-a", src, dst] }).outputSync();
      if (!r.success) throw new Error(`cp -a ${src}: ${new TextDecoder().decode(r.stderr)}`);
    }
  };
}

function exists(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
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

/** Entries below `dir` (each layer dir's tree). */
function countEntries(dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isDirectory) continue;
    n += (function walk(d: string): number {
      let c = 0;
      for (const x of Deno.readDirSync(d)) {
        c++;
        if (x.isDirectory) c += walk(join(d, x.name));
      }
      return c;
    })(join(dir, e.name));
  }
  return n;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  await runPullBench({
    mb: arg("mb"),
    layers: arg("layers"),
    runs: arg("runs"),
    files: !Deno.args.includes("--no-files"),
  });
}
