/**
 * `deno task test:oci`: run the OCI runtime-tools validation suite against
 * runc and ./tsbox-runc (when it exists), one after the other, and compare.
 *
 *   deno run -A tests/oci/run_validation.ts [--runtime PATH]… [--only NAME,…]
 *       [--timeout SEC] [--tarball FILE] [--cache DIR] [--json FILE] [--tap-dir DIR] [--verbose]
 *
 * Each runtime gets a temp dir with its own state root (a wrapper script
 * adds `--root DIR` to every call, since the suite passes none) and its own
 * TMPDIR for the bundles; after every program the harness force-deletes
 * leftover containers, unmounts leftovers under the temp dir and removes the
 * suite's cgroups (`/cgrouptest`, `<own cgroup>/testdir`). The first runtime
 * is the reference: exit 1 when another passes fewer assertions than it,
 * in all or in any one program but those KNOWN_SHORT lists (a program
 * that stops early — an init that dies — must not hide behind the total).
 * Root only. See tests/oci/README.md for the figures on this host.
 * @module
 */

import { basename, join, resolve } from "node:path";
import { addTallies, parseTap, tallyProgram, type TapTally } from "./_tap.ts";
import { DEFAULT_CACHE, defaultTarball, ensureSuite, REPO_ROOT, type Suite } from "./_suite.ts";
import {
  deleteLeftoverContainers,
  mountsUnder,
  removeCgroupTree,
  unmountUnder,
} from "./_cleanup.ts";

/** The tsbox runtime at the repository root (issue 11). */
export const TSBOX_RUNC = join(REPO_ROOT, "tsbox-runc");

interface Options {
  runtimes: string[];
  only: string[];
  timeoutSec: number;
  tarball: string;
  cache: string;
  json?: string;
  /** Keep each program's raw TAP and stderr here, per runtime. */
  tapDir?: string;
  verbose: boolean;
}

/** Programs where tsbox-runc passes fewer assertions than runc on purpose (tests/oci/README.md). */
const KNOWN_SHORT: Record<string, string> = {
  linux_ns_itype: "a private mount namespace is always made when none is joined",
};

/** Programs of `o` passing fewer assertions than the same in `ref`, but KNOWN_SHORT's. */
export function shortPrograms(ref: RuntimeReport, o: RuntimeReport): string[] {
  return Object.entries(ref.programs)
    .filter(([name, r]) => !(name in KNOWN_SHORT) && (o.programs[name]?.passed ?? 0) < r.passed)
    .map(([name, r]) =>
      `${name}: ${o.programs[name]?.passed ?? 0} passed, ${ref.label} ${r.passed}`
    );
}

export interface RuntimeReport {
  label: string;
  path: string;
  seconds: number;
  total: TapTally;
  programs: Record<string, TapTally & { exit: string; seconds: number }>;
  leftovers: { containers: number; mounts: number; cgroups: number };
}

function usage(msg: string): never {
  console.error(`tsbox: test:oci: ${msg}`);
  console.error(
    "usage: run_validation.ts [--runtime PATH]… [--only NAME,…] [--timeout SEC] " +
      "[--tarball FILE] [--cache DIR] [--json FILE] [--tap-dir DIR] [--verbose]",
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    runtimes: [],
    only: [],
    timeoutSec: 60,
    tarball: defaultTarball(),
    cache: DEFAULT_CACHE,
    verbose: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = () => args[++i] ?? usage(`${a} needs a value`);
    if (a === "--runtime") o.runtimes.push(val());
    else if (a === "--only") o.only.push(...val().split(",").filter(Boolean));
    else if (a === "--timeout") {
      o.timeoutSec = Number(val());
      if (!(o.timeoutSec > 0)) usage("--timeout must be a positive number of seconds");
    } else if (a === "--tarball") o.tarball = resolve(val());
    else if (a === "--cache") o.cache = resolve(val());
    else if (a === "--json") o.json = resolve(val());
    else if (a === "--tap-dir") o.tapDir = resolve(val());
    else if (a === "--verbose") o.verbose = true;
    else usage(`unknown argument "${a}"`);
  }
  return o;
}

function which(cmd: string): string | undefined {
  if (cmd.includes("/")) {
    const p = resolve(cmd);
    try {
      return Deno.statSync(p).isFile ? p : undefined;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }
  for (const dir of (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const p = join(dir, cmd);
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function runProgram(
  program: string,
  suite: Suite,
  env: Record<string, string>,
  timeoutSec: number,
): Promise<{ stdout: string; stderr: string; success: boolean; how: string }> {
  const child = new Deno.Command(program, {
    cwd: suite.dir,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch (err) {
      // exited between the timer firing and the kill
      if (!(err instanceof TypeError)) throw err;
    }
  }, timeoutSec * 1000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    success: out.success && !timedOut,
    how: timedOut
      ? `timeout after ${timeoutSec} s`
      : out.signal
      ? `killed by ${out.signal}`
      : `exit ${out.code}`,
  };
}

/** Run every program of `suite` against `runtimePath`; clean up after each. */
async function runRuntime(
  runtimePath: string,
  suite: Suite,
  opts: Options,
): Promise<RuntimeReport> {
  const label = basename(runtimePath);
  const work = Deno.makeTempDirSync({ prefix: `tsbox-oci-${label}-` });
  const root = join(work, "state");
  const tmp = join(work, "tmp");
  Deno.mkdirSync(root);
  Deno.mkdirSync(tmp);
  // containers with a user namespace map root away: the bundles' parents must be searchable
  Deno.chmodSync(work, 0o755);
  Deno.chmodSync(tmp, 0o755);
  const wrapper = join(work, "runtime");
  Deno.writeTextFileSync(
    wrapper,
    `#!/bin/sh\nexec ${shQuote(runtimePath)} --root ${shQuote(root)} "$@"\n`,
  );
  Deno.chmodSync(wrapper, 0o755);
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    RUNTIME: wrapper,
    TMPDIR: tmp,
  };
  const report: RuntimeReport = {
    label,
    path: runtimePath,
    seconds: 0,
    total: { passed: 0, failed: 0, skipped: 0, failures: [] },
    programs: {},
    leftovers: { containers: 0, mounts: 0, cgroups: 0 },
  };
  const t0 = performance.now();
  const programs = suite.programs.filter((p) =>
    !opts.only.length || opts.only.includes(basename(p))
  );
  try {
    for (const program of programs) {
      const name = basename(program);
      const started = performance.now();
      const r = await runProgram(program, suite, env, opts.timeoutSec);
      const seconds = (performance.now() - started) / 1000;
      const tally = tallyProgram(name, parseTap(r.stdout), { success: r.success, how: r.how });
      report.programs[name] = { ...tally, exit: r.how, seconds };
      if (opts.tapDir) {
        const d = join(opts.tapDir, label);
        Deno.mkdirSync(d, { recursive: true });
        Deno.writeTextFileSync(join(d, `${name}.tap`), r.stdout);
        Deno.writeTextFileSync(join(d, `${name}.stderr`), r.stderr);
      }
      if (opts.verbose) {
        console.log(
          `  ${name.padEnd(36)} ${String(tally.passed).padStart(4)} passed ` +
            `${String(tally.failed).padStart(3)} failed ${String(tally.skipped).padStart(3)} ` +
            `skipped  (${r.how}, ${seconds.toFixed(1)} s)`,
        );
        if (tally.failed && r.stderr.trim()) {
          console.log(r.stderr.trim().split("\n").slice(0, 4).map((l) => `      ${l}`).join("\n"));
        }
      }
      cleanupAfter(wrapper, root, tmp, report);
    }
  } finally {
    cleanupAfter(wrapper, root, tmp, report);
    if (mountsUnder(work).length === 0) Deno.removeSync(work, { recursive: true });
  }
  report.seconds = (performance.now() - t0) / 1000;
  report.total = addTallies(Object.values(report.programs));
  return report;
}

function cleanupAfter(wrapper: string, root: string, tmp: string, report: RuntimeReport): void {
  report.leftovers.containers += deleteLeftoverContainers([wrapper], root).length;
  report.leftovers.mounts += unmountUnder(tmp).length;
  report.leftovers.cgroups += removeCgroupTree("cgrouptest").length;
  report.leftovers.cgroups += removeCgroupTree((h) => join(h.own, "testdir")).length;
  for (const e of Deno.readDirSync(tmp)) Deno.removeSync(join(tmp, e.name), { recursive: true });
}

/** Failure names without the TAP number, for comparing two runtimes. */
function failureKeys(t: TapTally): Set<string> {
  return new Set(t.failures.map((f) => f.replace(/: #\d+ /, ": ")));
}

function printReport(r: RuntimeReport): void {
  const t = r.total;
  const planned = t.passed + t.failed + t.skipped;
  console.log(
    `\n== ${r.label} (${r.path}): ${Object.keys(r.programs).length} programs, ` +
      `${r.seconds.toFixed(0)} s`,
  );
  console.log(
    `assertions: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped ` +
      `(ok incl. skips: ${t.passed + t.skipped} of ${planned})`,
  );
  console.log(
    `cleanup: ${r.leftovers.containers} leftover containers deleted, ` +
      `${r.leftovers.mounts} mounts unmounted, ${r.leftovers.cgroups} cgroups removed`,
  );
  if (t.failures.length) {
    console.log("failed assertions:");
    for (const f of t.failures) console.log(`  ${f}`);
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(Deno.args);
  if (Deno.uid() !== 0) usage("must run as root (the suite creates containers)");
  let tsboxMissing = false;
  if (!opts.runtimes.length) {
    const runc = which("runc");
    if (!runc) usage("runc not found on PATH (apt-get install runc)");
    opts.runtimes.push(runc);
    if (which(TSBOX_RUNC)) opts.runtimes.push(TSBOX_RUNC);
    else tsboxMissing = true;
  }
  const runtimes = opts.runtimes.map((r) => which(r) ?? usage(`runtime ${r}: not found`));

  const suite = await ensureSuite(opts.tarball, opts.cache);
  console.log(
    suite.buildSeconds
      ? `built the validation suite in ${suite.buildSeconds.toFixed(0)} s: ${suite.dir}`
      : `validation suite (cached): ${suite.dir}`,
  );
  const names = new Set(suite.programs.map((p) => basename(p)));
  const unknown = opts.only.filter((n) => !names.has(n));
  if (unknown.length) usage(`--only: no such program: ${unknown.join(", ")}`);
  console.log(`${suite.programs.length} programs, timeout ${opts.timeoutSec} s each`);

  const reports: RuntimeReport[] = [];
  for (const rt of runtimes) {
    console.log(`\nrunning against ${rt} …`);
    const r = await runRuntime(rt, suite, opts);
    printReport(r);
    reports.push(r);
  }
  if (opts.json) Deno.writeTextFileSync(opts.json, JSON.stringify(reports, null, 2) + "\n");

  const [ref, ...others] = reports;
  let code = 0;
  console.log("");
  if (tsboxMissing) {
    console.log(
      `tsbox-runc: not built yet (${TSBOX_RUNC} missing); ${ref.label} passed ` +
        `${ref.total.passed} of ${ref.total.passed + ref.total.failed} non-skipped assertions`,
    );
  }
  for (const o of others) {
    const refFails = failureKeys(ref.total);
    const extra = [...failureKeys(o.total)].filter((f) => !refFails.has(f));
    const short = shortPrograms(ref, o);
    const verdict = o.total.passed >= ref.total.passed && !short.length ? "OK" : "FEWER";
    if (verdict === "FEWER") code = 1;
    if (short.length) {
      console.log(`programs where ${o.label} passes fewer than ${ref.label} (${short.length}):`);
      for (const p of short) console.log(`  ${p}`);
    }
    if (extra.length) {
      console.log(`${o.label} failures that ${ref.label} does not share (${extra.length}):`);
      for (const f of extra) console.log(`  ${f}`);
    }
    console.log(
      `${o.label} vs ${ref.label}: ${o.label} passed ${o.total.passed}, ${ref.label} passed ` +
        `${ref.total.passed} (${o.total.passed - ref.total.passed >= 0 ? "+" : ""}` +
        `${o.total.passed - ref.total.passed}): ${verdict}`,
    );
  }
  return code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    // one line for the user; the stack only helps when it is not ours
    console.error(err instanceof Error && err.message.startsWith("tsbox: ") ? err.message : err);
    Deno.exit(1);
  }
}
