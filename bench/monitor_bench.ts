/**
 * Memory of the process that supervises a detached container, per
 * container, with 1 and with 20 detached busybox `sleep`s, all in the same
 * run: tsbox under conmon (the default where conmon is installed), tsbox's
 * own Deno monitor (`TSBOX_MONITOR=deno`), and podman's conmon (runtime
 * runc). RSS and RssAnon from /proc/PID/status, PSS and anonymous PSS
 * from /proc/PID/smaps_rollup (shared pages split among their users: with
 * 20 supervisors the binary's pages count a twentieth each). Root only;
 * the machine is shared, so the figures are noisy.
 * @module
 */

import { seedImage } from "../tests/run/_image.ts";
import { removeTree, tsboxArgv } from "../tests/helpers/tsbox.ts";
import { BUSYBOX_IMAGE, PODMAN_RUN_ARGS, startPodman } from "../tests/oci/_daemons.ts";
import { findConmon } from "../lib/container/conmon.ts";

/** Memory of one process, KiB. */
interface Mem {
  rss: number;
  anon: number;
  pss: number;
  pssAnon: number;
}

function memKiB(pid: number): Mem {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const get = (text: string, k: string) =>
    Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
  return {
    rss: get(status, "VmRSS"),
    anon: get(status, "RssAnon"),
    pss: get(rollup, "Pss"),
    pssAnon: get(rollup, "Pss_Anon"),
  };
}

function mean(ms: Mem[]): Mem {
  const avg = (k: keyof Mem) => Math.round(ms.reduce((s, m) => s + m[k], 0) / ms.length);
  return { rss: avg("rss"), anon: avg("anon"), pss: avg("pss"), pssAnon: avg("pssAnon") };
}

async function sh(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout).trim();
}

/** What one supervisor setup starts and stops. */
interface Subject {
  name: string;
  /** Start `n` detached sleeps; returns their supervisors' pids. */
  start(n: number): Promise<number[]>;
  /** Remove every container it started. */
  clear(): Promise<void>;
}

function tsboxSubject(
  root: string,
  name: string,
  env: Record<string, string>,
  comm: string,
): Subject {
  const tsbox = (...args: string[]) => sh(Deno.execPath(), tsboxArgv(root, args), env);
  return {
    name,
    async start(n) {
      const pids: number[] = [];
      for (let i = 0; i < n; i++) {
        const id = await tsbox("run", "-d", "--network", "none", "busybox", "sleep", "600");
        const st = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`));
        const got = Deno.readTextFileSync(`/proc/${st.monitorPid}/comm`).trim();
        if (got !== comm) throw new Error(`${name}: the supervisor is ${got}, not ${comm}`);
        pids.push(st.monitorPid);
      }
      return pids;
    },
    async clear() {
      const ids = (await tsbox("ps", "-aq")).split("\n").filter(Boolean);
      if (ids.length) await tsbox("rm", "-f", ...ids);
    },
  };
}

function podmanSubject(cli: (args: string[]) => Promise<{ code: number; stdout: string }>) {
  const run = async (args: string[]) => {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`podman ${args.join(" ")}: exit ${r.code}`);
    return r.stdout.trim();
  };
  return {
    name: "podman + conmon (runc)",
    async start(n: number) {
      const pids: number[] = [];
      for (let i = 0; i < n; i++) {
        const id = await run(["run", "-d", ...PODMAN_RUN_ARGS, BUSYBOX_IMAGE, "sleep", "600"]);
        pids.push(Number(await run(["inspect", "-f", "{{.State.ConmonPid}}", id])));
      }
      return pids;
    },
    async clear() {
      await run(["rm", "-af", "-t", "0"]);
    },
  } satisfies Subject;
}

/** Per-container memory of each subject at 1 and at `many` containers. */
async function measure(subjects: Subject[], many: number): Promise<Map<string, Mem[]>> {
  const out = new Map<string, Mem[]>();
  for (const s of subjects) {
    const row: Mem[] = [];
    for (const n of [1, many]) {
      try {
        const pids = await s.start(n);
        await new Promise((r) => setTimeout(r, 1500)); // let start-up garbage be collected
        row.push(mean(pids.map(memKiB)));
      } finally {
        await s.clear();
      }
    }
    out.set(s.name, row);
  }
  return out;
}

/**
 * Measure and print; returns the anonymous-RSS ratio tsbox+conmon /
 * podman's conmon at `many` containers (the goal: ≤ 2).
 */
export async function runMonitorBench(many = 20): Promise<{ ratio: number }> {
  if (!findConmon(Deno.env.toObject())) {
    console.log("\nsupervisor memory: conmon is not installed, skipped");
    return { ratio: NaN };
  }
  const root = Deno.makeTempDirSync({ prefix: "tsbox-bench-" });
  const podman = await startPodman({ runtime: "/usr/sbin/runc" });
  try {
    await seedImage(root);
    const subjects = [
      tsboxSubject(root, "tsbox + conmon", { TSBOX_MONITOR: "conmon" }, "conmon"),
      tsboxSubject(root, "tsbox __monitor (Deno)", { TSBOX_MONITOR: "deno" }, "deno"),
      podmanSubject(podman.cli),
    ];
    const m = await measure(subjects, many);
    const ref = m.get(subjects[2].name)!;
    const col = (v: number) => String(v).padStart(7);
    console.log(`\nsupervisor memory per container (KiB; noisy: shared machine)`);
    const head = ["RSS", "anon", "PSS", "PSSanon"].map((h) => h.padStart(7)).join(" ");
    console.log(
      `  ${"".padEnd(24)} ${"containers".padStart(10)} ${head}   ratio to podman's conmon` +
        " (RSS / anon / PSS)",
    );
    for (const s of subjects) {
      m.get(s.name)!.forEach((v, i) => {
        const r = ref[i];
        const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
        console.log(
          `  ${s.name.padEnd(24)} ${String(i ? many : 1).padStart(10)} ${col(v.rss)} ${
            col(v.anon)
          } ${col(v.pss)} ${col(v.pssAnon)}   ${x(v.rss, r.rss)} / ${x(v.anon, r.anon)} / ${
            x(v.pss, r.pss)
          }`,
        );
      });
    }
    const ours = m.get(subjects[0].name)![1];
    const ratio = ours.anon / ref[1].anon;
    console.log(
      `  goal: tsbox ≤ 2× conmon per container at ${many} — anonymous RSS ${
        ratio.toFixed(2)
      }×, PSS ${(ours.pss / ref[1].pss).toFixed(2)}×`,
    );
    return { ratio };
  } finally {
    await podman.stop();
    await removeTree(root); // with the root's bridges (its default network outlives it)
  }
}

if (import.meta.main) await runMonitorBench();
