/**
 * 50 concurrent `run -d` (issue 14's row): tsbox with half of them on the
 * default bridge and half `--network none`, against podman (runtime runc)
 * ×50 `--network none`, in the same run: wall time from the first start
 * to the last `run -d` returning. Root only; everything is removed after.
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

/** Print tsbox vs podman for N concurrent detached starts. */
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
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        tsbox(root, [
          "run",
          "-d",
          ...(i % 2 ? ["--network", "none"] : []),
          "busybox",
          "sleep",
          "600",
        ])),
    );
    const tsboxMs = performance.now() - t0;
    const ids = (await tsbox(root, ["ps", "-q"])).split("\n").filter(Boolean);
    if (ids.length !== N) throw new Error(`tsbox: ${ids.length} of ${N} running`);
    await tsbox(root, ["rm", "-f", ...ids]);
    // conmon's exit commands (a tsbox process each) finish after rm: not during podman's turn
    await quiet(root);

    const run = async (args: string[]) => {
      const r = await podman.cli(args);
      if (r.code !== 0) throw new Error(`podman ${args.join(" ")}: exit ${r.code}`);
    };
    await run(["run", "--rm", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "true"]); // warm
    const t1 = performance.now();
    await Promise.all(
      Array.from(
        { length: N },
        () => run(["run", "-d", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "sleep", "600"]),
      ),
    );
    const podmanMs = performance.now() - t1;
    await run(["rm", "-af", "-t", "0"]);
    console.log(`\n${N} concurrent run -d (tsbox: half bridged, half --network none)`);
    console.log(`  tsbox                      ${(tsboxMs / 1000).toFixed(2).padStart(7)} s`);
    console.log(`  podman (runc, none) ×${N}    ${(podmanMs / 1000).toFixed(2).padStart(7)} s`);
    console.log(
      `  ratio tsbox/podman         ${(tsboxMs / podmanMs).toFixed(2)}×  (target ≤ 1.0×)`,
    );
  } finally {
    await podman.stop();
    await removeTree(root); // with the root's bridges (its default network outlives it)
  }
}

if (import.meta.main) await runConcurrentBench();
