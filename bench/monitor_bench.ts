/**
 * Memory of the process that supervises a detached container: tsbox's
 * `__monitor` (a Deno process) against `runc run` supervising the same
 * busybox `sleep` in the foreground, measured in the same run (VmRSS and
 * RssAnon from /proc/PID/status). Root only.
 * @module
 */

import { join } from "node:path";
import { makeBusyboxRootfs } from "../tests/helpers/busybox.ts";
import { seedImage } from "../tests/run/_image.ts";
import { tsboxArgv } from "../tests/helpers/tsbox.ts";

function memKiB(pid: number): { rss: number; anon: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const get = (k: string) =>
    Number(status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
  return { rss: get("VmRSS"), anon: get("RssAnon") };
}

async function waitFor<T>(fn: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Measure and print; returns the RSS ratio tsbox monitor / runc. */
export async function runMonitorBench(): Promise<{ ratio: number }> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-bench-" });
  const bundle = Deno.makeTempDirSync({ prefix: "tsbox-bench-runc-" });
  const runcId = `tsbox-bench-mon-${Deno.pid}`;
  let runc: Deno.ChildProcess | undefined;
  const tsbox = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, args),
      stdout: "piped",
      stderr: "piped",
    })
      .outputSync();
  try {
    await seedImage(root);
    const out = tsbox("run", "-d", "--network", "none", "busybox", "sleep", "60");
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const id = new TextDecoder().decode(out.stdout).trim();
    const monitor = await waitFor(() => {
      const st = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`));
      return st.status === "running" && st.monitorPid ? st.monitorPid as number : undefined;
    }, "the monitor");
    await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage be collected
    const mon = memKiB(monitor);

    makeBusyboxRootfs(join(bundle, "rootfs"));
    new Deno.Command("runc", { args: ["spec", "--bundle", bundle] }).outputSync();
    const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
    spec.process.terminal = false;
    spec.process.args = ["sleep", "60"];
    Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    runc = new Deno.Command("runc", {
      args: ["run", "--bundle", bundle, runcId],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, 1000));
    const rc = memKiB(runc.pid);

    const ratio = mon.rss / rc.rss;
    console.log(`\nsupervisor memory (KiB)        VmRSS   RssAnon`);
    console.log(
      `  tsbox __monitor          ${String(mon.rss).padStart(8)} ${String(mon.anon).padStart(9)}`,
    );
    console.log(
      `  runc run (foreground)    ${String(rc.rss).padStart(8)} ${String(rc.anon).padStart(9)}`,
    );
    console.log(`  ratio tsbox/runc (RSS)   ${ratio.toFixed(2)}×`);
    tsbox("rm", "-f", id);
    return { ratio };
  } finally {
    if (runc) {
      new Deno.Command("runc", { args: ["kill", runcId, "KILL"], stderr: "null" }).outputSync();
      await runc.status;
      new Deno.Command("runc", { args: ["delete", "-f", runcId], stderr: "null" }).outputSync();
    }
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(bundle, { recursive: true });
  }
}

if (import.meta.main) await runMonitorBench();
