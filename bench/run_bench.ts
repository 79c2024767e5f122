/**
 * `deno task bench`: start-up cost of `tsbox run --rm busybox true` against
 * `runc run` of an equivalent bundle (same busybox rootfs, same namespaces
 * minus the network, which both get empty), measured in the same run, plus
 * a breakdown of where tsbox's time goes. Also runs the pull benchmark and
 * the monitor RSS measurement and the build benchmark (bench/build_bench.ts)
 * when those modules are present. Root only.
 *
 * Target (issue 2): tsbox ≤ 2× runc.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import { seedImage } from "../tests/run/_image.ts";
import { MAIN, removeTree, SOURCE_MAIN, tsboxArgv, useMain } from "../tests/helpers/tsbox.ts";
import { BUSYBOX_IMAGE, PODMAN_RUN_ARGS, startPodman } from "../tests/oci/_daemons.ts";
import { bundle } from "../tools/bundle.ts";
import { DENO_RUN_ARGS } from "../lib/self.ts";
import { fromFileUrl } from "../lib/url.ts";

const N = Number(Deno.env.get("BENCH_N") ?? 20);

function time(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): { ms: number; stderr: string } {
  const t = performance.now();
  const r = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped", env }).outputSync();
  const ms = performance.now() - t;
  const stderr = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${stderr}`);
  return { ms, stderr };
}

function stats(xs: number[]): { median: number; mean: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)],
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    min: s[0],
  };
}

const f = (x: number) => x.toFixed(1).padStart(7);

/** The first time of each label in a TSBOX_TRACE file (lib/trace.ts), in ms. */
function traceMarks(file: string): Record<string, number> {
  const marks: Record<string, number> = {};
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    const m = /^([\d.]+) \d+ (.+)$/.exec(line);
    if (m && !(m[2] in marks)) marks[m[2]] = Number(m[1]);
  }
  return marks;
}

/** Run the start-up benchmark and print a table. */
export async function runStartBench(): Promise<{ ratio: number }> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-bench-" });
  const bundle = Deno.makeTempDirSync({ prefix: "tsbox-bench-runc-" });
  // podman with runc itself (crun 1.8, its default, refuses this hybrid host)
  const podman = await startPodman({ runtime: "/usr/sbin/runc", direct: true });
  try {
    await seedImage(root);
    makeBusyboxRootfs(join(bundle, "rootfs"));
    time("runc", ["spec", "--bundle", bundle]);
    const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
    spec.process.terminal = false;
    spec.process.args = ["true"];
    Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));

    const tsboxArgs = tsboxArgv(root, ["run", "--rm", "--network", "none", "busybox", "true"]);
    // warm-up: module cache, page cache
    time(Deno.execPath(), tsboxArgs);
    time("runc", ["run", "--bundle", bundle, "bench-warm"]);
    const podmanRun = ["run", "--rm", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "true"];
    const podmanMs = async () => {
      const t = performance.now();
      const r = await podman.cli(podmanRun);
      if (r.code !== 0) throw new Error(`podman ${podmanRun.join(" ")}: exit ${r.code}`);
      return performance.now() - t;
    };
    await podmanMs(); // warm-up
    // crun where it runs (1.8 refuses this cgroup v1-hybrid host), with a state root of its own
    const crunRun = (id: string) =>
      time("crun", ["--root", join(bundle, "crun-state"), "run", "--bundle", bundle, id]).ms;
    let crunRefusal: string | undefined;
    try {
      crunRun("bench-crun-warm");
    } catch (err) {
      const first = (err as Error).message.split("\n").find((l) => l.trim()) ?? "";
      crunRefusal = first.replace(/^.* failed \(\d+\): /, "") || "failed";
    }

    // the same run without the secure defaults: all caps, no seccomp, no masks, no device cgroup
    const privArgs = tsboxArgv(root, [
      "run",
      "--rm",
      "--network",
      "none",
      "--privileged",
      "busybox",
      "true",
    ]);
    const unconfinedArgs = tsboxArgv(root, [
      "run",
      "--rm",
      "--network",
      "none",
      "--security-opt",
      "seccomp=unconfined",
      "busybox",
      "true",
    ]);
    // the same run on the default bridge network: the CNI chain, the network's rules
    const bridgedArgs = tsboxArgv(root, ["run", "--rm", "busybox", "true"]);
    time(Deno.execPath(), bridgedArgs); // makes the default network (once per host, as docker0)
    // the same run from the source tree (~180 modules per process instead of two files)
    const sourceArgs = tsboxArgv(
      root,
      tsboxArgs.slice(tsboxArgs.indexOf("--root") + 2),
      SOURCE_MAIN,
    );
    if (MAIN !== SOURCE_MAIN) time(Deno.execPath(), sourceArgs);
    // the floor of two Deno processes in series (bench/floor.ts), and one bare start-up
    const empty = join(root, "empty.js");
    Deno.writeTextFileSync(empty, "\n");
    const floorArgs = [
      "run",
      ...DENO_RUN_ARGS,
      fromFileUrl(new URL("./floor.ts", import.meta.url)),
      Deno.execPath(),
      empty,
    ];
    const bareArgs = ["run", ...DENO_RUN_ARGS, empty];
    time(Deno.execPath(), floorArgs);
    const tsbox: number[] = [], runc: number[] = [], denoStartup: number[] = [];
    const floor: number[] = [], bare: number[] = [];
    const source: number[] = [];
    const privileged: number[] = [], unconfined: number[] = [], noEarly: number[] = [];
    const bridged: number[] = [], podmanRuns: number[] = [], crunTimes: number[] = [];
    const traced: Record<string, number>[] = [];
    const traceFile = join(root, "trace.log");
    for (let i = 0; i < N; i++) {
      // traced: the CLI's and the init's TSBOX_TRACE marks (a few appends, nothing measurable)
      tsbox.push(time(Deno.execPath(), tsboxArgs, { TSBOX_TRACE: traceFile }).ms);
      traced.push(traceMarks(traceFile));
      Deno.removeSync(traceFile);
      noEarly.push(time(Deno.execPath(), tsboxArgs, { TSBOX_EARLY_INIT: "0" }).ms);
      runc.push(time("runc", ["run", "--bundle", bundle, `bench-${i}`]).ms);
      privileged.push(time(Deno.execPath(), privArgs).ms);
      unconfined.push(time(Deno.execPath(), unconfinedArgs).ms);
      bridged.push(time(Deno.execPath(), bridgedArgs).ms);
      podmanRuns.push(await podmanMs());
      if (crunRefusal === undefined) crunTimes.push(crunRun(`bench-c${i}`));
      denoStartup.push(time(Deno.execPath(), tsboxArgv(root, ["--version"])).ms);
      floor.push(time(Deno.execPath(), floorArgs).ms);
      bare.push(time(Deno.execPath(), bareArgs).ms);
      if (MAIN !== SOURCE_MAIN) source.push(time(Deno.execPath(), sourceArgs).ms);
    }
    const a = stats(tsbox), b = stats(runc);
    const ratio = a.median / b.median;
    console.log(`\nstart-up: run --rm busybox true (${N} runs each, ms)`);
    console.log(`                      median    mean     min`);
    const built = MAIN === SOURCE_MAIN ? "source" : "bundle";
    console.log(`  tsbox (${built})    ${f(a.median)} ${f(a.mean)} ${f(a.min)}`);
    console.log(`  runc run          ${f(b.median)} ${f(b.mean)} ${f(b.min)}`);
    console.log(`  ratio tsbox/runc  ${ratio.toFixed(2)}×  (target ≤ 2×)`);
    if (crunRefusal === undefined) {
      const c = stats(crunTimes);
      console.log(`  crun run          ${f(c.median)} ${f(c.mean)} ${f(c.min)}`);
    } else console.log(`  crun run          does not run here: ${crunRefusal}`);
    const pm = stats(podmanRuns);
    console.log(
      `  podman run --rm (runc)${f(pm.median)} ${f(pm.mean)} ${f(pm.min)}  ` +
        `tsbox ${(a.median / pm.median).toFixed(2)}× podman`,
    );
    const p = stats(privileged);
    console.log(`  tsbox --privileged${f(p.median)} ${f(p.mean)} ${f(p.min)}`);
    const u = stats(unconfined);
    console.log(`  tsbox seccomp=unconfined${f(u.median)} ${f(u.mean)} ${f(u.min)}`);
    const br = stats(bridged);
    console.log(`  tsbox bridged (default network)${f(br.median)} ${f(br.mean)} ${f(br.min)}`);
    console.log(
      `  security defaults add ${(a.median - p.median).toFixed(1)} ms over --privileged ` +
        `(which mknods every host device), seccomp alone ${(a.median - u.median).toFixed(1)} ms`,
    );
    console.log(
      `  one bare deno start-up (tsbox --version; the CLI and the init each pay one): ${
        f(stats(denoStartup).median)
      }`,
    );
    const fl = stats(floor).median;
    console.log(
      `  a bare deno of an empty module: ${
        f(stats(bare).median)
      }; two in series (bench/floor.ts: ` +
        `a deno whose first act spawns the second, and waits):${f(fl)} = ` +
        `${(fl / b.median).toFixed(2)}× runc, leaving ${(2 * b.median - fl).toFixed(1)} ms ` +
        `within 2× runc for all of tsbox's own work`,
    );
    if (source.length) {
      const src = stats(source);
      console.log(
        `  from the source tree (deno run main.ts): ${f(src.median)} (the bundle saves ` +
          `${(src.median - a.median).toFixed(1)} ms, ${(src.median / b.median).toFixed(2)}× runc)`,
      );
    }
    const ne = stats(noEarly);
    console.log(
      `  without the early init (TSBOX_EARLY_INIT=0): ${f(ne.median)} (the head start saves ` +
        `${(ne.median - a.median).toFixed(1)} ms)`,
    );
    console.log(`\nthe critical path, from TSBOX_TRACE marks (median ms):`);
    // a span from the later of several marks: where one path waits for the other
    const span = (from: string | readonly string[], to: string) =>
      stats(
        traced.map((m) => m[to] - Math.max(...[from].flat().map((k) => m[k])))
          .filter((x) => Number.isFinite(x)),
      ).median;
    for (
      const [what, from, to] of [
        ["CLI: time origin → main.js → the init spawned ahead", "(run exec)", "ahead"],
        ["CLI: run's modules load", "ahead", "run"],
        ["run: flags, create", "run", "start"],
        ["start: claim, cgroup, bundle → spec sent", "start", "spawned"],
        ["init (overlapped): time origin → its modules loaded", "(__init exec)", "init"],
        [
          "init: the spec in hand (the later path) → namespaces",
          ["init", "spawned"],
          "init: namespaces",
        ],
        ["init: namespaces → rootfs → pivot_root → ready", "init: namespaces", "init: ready"],
        ["CLI (overlapped): spec sent → go sent (cgroup join, pid)", "spawned", "go"],
        ["init: ready → its go → signals, cwd, keyring", "init: ready", "init: process"],
        ["init: caps, seccomp, user → exec → the exit seen", "init: process", "exited"],
        ["teardown + remove", "exited", "removed"],
      ] as const
    ) console.log(`  ${what.padEnd(56)} ${f(span(from, to))}`);
    console.log(
      `  ${"outside the marks (Deno's start-up before its time origin; the exit)".padEnd(56)} ${
        f(a.median - span("(run exec)", "removed"))
      }`,
    );
    return { ratio };
  } finally {
    await podman.stop();
    await removeTree(root); // with its default network's bridge and rules
    Deno.removeSync(bundle, { recursive: true });
  }
}

/**
 * `deno task bench`: everything runs from a bundle of this checkout
 * (tools/bundle.ts, what `deno task bundle` writes), built first;
 * `BENCH_SOURCE=1` runs from the source tree instead.
 */
async function main(): Promise<void> {
  await runStartBench();
  for (
    const [file, fn] of [
      ["./pull_bench.ts", "runPullBench"],
      ["./push_bench.ts", "runPushBench"],
      ["./monitor_bench.ts", "runMonitorBench"],
      ["./build_bench.ts", "runBuildBench"],
      ["./runc_bench.ts", "runRuncBench"],
      ["./userns_bench.ts", "runUsernsBench"],
      ["./concurrent_bench.ts", "runConcurrentBench"],
    ] as const
  ) {
    let mod: Record<string, unknown>;
    try {
      mod = await import(file);
    } catch (err) {
      // that benchmark is not part of this checkout
      if (err instanceof TypeError && String(err.message).includes("Module not found")) continue;
      throw err;
    }
    if (typeof mod[fn] === "function") await (mod[fn] as () => Promise<unknown>)();
  }
}

if (import.meta.main) {
  const dist = Deno.makeTempDirSync({ prefix: "tsbox-bench-dist-" });
  try {
    if (Deno.env.get("BENCH_SOURCE") !== "1") {
      await bundle(dist);
      useMain(join(dist, "main.js"));
      console.log(
        `tsbox runs from a bundle of this checkout (${dist}; BENCH_SOURCE=1: the source)`,
      );
    }
    await main();
  } finally {
    Deno.removeSync(dist, { recursive: true });
  }
}
