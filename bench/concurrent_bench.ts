/**
 * 50 concurrent `run -d` (issue 14's row): tsbox with half of them on the
 * default bridge and half `--network none`, against podman (runtime runc)
 * ×50 `--network none`, in the same run: wall time from the first start
 * to the last `run -d` returning. One round of 50 swings by ±10% on this
 * VM, so it runs rounds of both, alternating which goes first, and reports
 * the median of the rounds' ratios. Root only; everything is removed after.
 * @module
 */

import { seedImage } from "../tests/run/_image.ts";
import { removeTree, tsboxArgv } from "../tests/helpers/tsbox.ts";
import { processesUsing } from "../tests/container/_lifecycle.ts";
import { BUSYBOX_IMAGE, PODMAN_RUN_ARGS, startPodman } from "../tests/oci/_daemons.ts";

const N = Number(Deno.env.get("BENCH_CONCURRENT") ?? 50);

async function tsbox(root: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: tsboxArgv(root, args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`tsbox ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout).trim();
}

/** Wait (≤ 60 s) until no process mentions `root` any more. */
async function quiet(root: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (processesUsing(root).length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The host's busy CPU time so far, ms (/proc/stat: all but idle and iowait). */
function busyMs(): number {
  const f = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1)
    .map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) * 10; // USER_HZ 100
}

/** Rounds of both (alternating which goes first); the median of the rounds' ratios is reported. */
const ROUNDS = Number(Deno.env.get("BENCH_CONCURRENT_ROUNDS") ?? 3);

/** Print tsbox vs podman for N concurrent detached starts, in ROUNDS paired rounds. */
export async function runConcurrentBench(): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-bench-conc-" });
  // runc itself, not the tests' logging wrapper around it (~15 processes per runtime call)
  const podman = await startPodman({ runtime: "/usr/sbin/runc", direct: true });
  try {
    await seedImage(root);
    // warm caches, and make the default bridge network: the first bridged run creates it,
    // once per host (docker's daemon makes docker0 when it starts), and the 25 bridged runs
    // below would otherwise wait for it in turn
    await tsbox(root, ["run", "--rm", "busybox", "true"]);
    const run = async (args: string[]) => {
      const r = await podman.cli(args);
      if (r.code !== 0) throw new Error(`podman ${args.join(" ")}: exit ${r.code}`);
    };
    await run(["run", "--rm", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "true"]); // warm

    const cpu = { tsbox: 0, podman: 0, none: 0 };
    const tsboxRound = async (bridged = true): Promise<number> => {
      const c0 = busyMs();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          tsbox(root, [
            "run",
            "-d",
            ...(i % 2 || !bridged ? ["--network", "none"] : []),
            "busybox",
            "sleep",
            "600",
          ])),
      );
      const ms = performance.now() - t0;
      cpu[bridged ? "tsbox" : "none"] += busyMs() - c0;
      const ids = (await tsbox(root, ["ps", "-q"])).split("\n").filter(Boolean);
      if (ids.length !== N) throw new Error(`tsbox: ${ids.length} of ${N} running`);
      await tsbox(root, ["rm", "-f", ...ids]);
      // conmon's exit commands (a tsbox process each) finish after rm: not during podman's turn
      await quiet(root);
      return ms;
    };
    const podmanRound = async (): Promise<number> => {
      const c0 = busyMs();
      const t1 = performance.now();
      await Promise.all(
        Array.from(
          { length: N },
          () => run(["run", "-d", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "sleep", "600"]),
        ),
      );
      const ms = performance.now() - t1;
      cpu.podman += busyMs() - c0;
      await run(["rm", "-af", "-t", "0"]);
      return ms;
    };
    const rounds: { tsbox: number; podman: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t: number, p: number;
      if (r % 2 === 0) {
        t = await tsboxRound();
        p = await podmanRound();
      } else {
        p = await podmanRound();
        t = await tsboxRound();
      }
      rounds.push({ tsbox: t, podman: p });
    }
    // and once on podman's terms, all --network none: what the bridged half costs
    const none = await tsboxRound(false);
    const sec = (ms: number) => (ms / 1000).toFixed(2);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ratios = rounds.map((r) => r.tsbox / r.podman).sort((a, b) => a - b);
    console.log(
      `\n${N} concurrent run -d (tsbox: half bridged, half --network none), ${ROUNDS} rounds`,
    );
    console.log(`  tsbox                       ${rounds.map((r) => sec(r.tsbox)).join(", ")} s`);
    console.log(`  podman (runc, none) ×${N}     ${rounds.map((r) => sec(r.podman)).join(", ")} s`);
    console.log(
      `  ratio tsbox/podman         ${med(ratios).toFixed(2)}× ` +
        `(median of the rounds: ${ratios.map((x) => x.toFixed(2)).join(", ")}; target ≤ 1.0×)`,
    );
    const perStart = (ms: number) => (ms / (ROUNDS * N)).toFixed(0);
    console.log(
      `  the host's busy CPU per start during the rounds: tsbox ${perStart(cpu.tsbox)} ms, ` +
        `podman ${perStart(cpu.podman)} ms (both cores busy: the row is bound by CPU)`,
    );
    console.log(
      `  tsbox all --network none, one round: ${sec(none)} s, ` +
        `${(none / med(rounds.map((r) => r.podman))).toFixed(2)}× podman's median round, ` +
        `CPU per start ${(cpu.none / N).toFixed(0)} ms`,
    );
  } finally {
    await podman.stop();
    await removeTree(root); // with the root's bridges (its default network outlives it)
  }
}

if (import.meta.main) await runConcurrentBench();
