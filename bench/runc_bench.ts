/**
 * `tsbox-runc create + start + wait + delete` of one bundle against runc and
 * crun on the same bundle, medians of the same run (issue 11). crun 1.8
 * refuses this v1-hybrid host; when a runtime fails its row says why.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import { runcWrapper } from "../tests/helpers/tsbox.ts";

const N = Number(Deno.env.get("BENCH_N") ?? 10);

/** Run a runtime verb; stdio is /dev/null (a created init keeps what it inherits until it runs). */
function sh(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
    .outputSync();
  return { ok: r.success, err: `exit ${r.code}` };
}

/** One lifecycle: create, start, wait for the exit (state stopped), delete. */
function lifecycle(runtime: string, root: string, bundle: string, id: string): number {
  const t = performance.now();
  const g = ["--root", root];
  for (const args of [["create", "--bundle", bundle, id], ["start", id]]) {
    const r = sh(runtime, [...g, ...args]);
    if (!r.ok) throw new Error(`${runtime} ${args[0]}: ${r.err}`);
  }
  // `true` exits at once; delete without --force succeeds only once it is stopped
  for (let i = 0; i < 1000 && !sh(runtime, [...g, "delete", id]).ok; i++) {
    // poll: the lifecycle figure includes the wait, as a caller's would
  }
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Print the table. */
export function runRuncBench(): void {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-bench-oci-" });
  try {
    const bundle = join(dir, "bundle");
    makeBusyboxRootfs(join(bundle, "rootfs"));
    sh("runc", ["spec", "--bundle", bundle]);
    const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
    spec.process.terminal = false;
    spec.process.args = ["true"];
    Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    const rows: [string, number | string][] = [];
    for (const [name, bin] of [["runc", "runc"], ["crun", "crun"], ["tsbox-runc", runcWrapper()]]) {
      const root = join(dir, `root-${name}`);
      try {
        lifecycle(bin, root, bundle, `warm-${name}`);
        const t: number[] = [];
        for (let i = 0; i < N; i++) t.push(lifecycle(bin, root, bundle, `b-${name}-${i}`));
        rows.push([name, median(t)]);
      } catch (err) {
        rows.push([name, `failed: ${(err as Error).message.slice(0, 90)}`]);
        sh(bin, ["--root", root, "delete", "--force", `warm-${name}`]);
      }
    }
    const ref = rows.find(([n]) => n === "runc")?.[1];
    console.log(
      `\nOCI lifecycle: create + start + wait + delete of one bundle (${N} runs, median ms)`,
    );
    for (const [name, v] of rows) {
      const ratio = typeof v === "number" && typeof ref === "number"
        ? ` ${(v / ref).toFixed(2)}× runc`
        : "";
      console.log(
        `  ${name.padEnd(11)} ${typeof v === "number" ? v.toFixed(1).padStart(7) : v}${ratio}`,
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) runRuncBench();
