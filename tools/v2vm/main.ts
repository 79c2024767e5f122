/**
 * `deno task test:v2 [test files…]`: run tsbox's cgroup v2 tests (default `tests/v2/` and the
 * real-kernel cgroup tests)
 * on a real cgroup v2 kernel — Debian's 6.1, booted under QEMU TCG with the host's `/`
 * read-only over 9p under a tmpfs overlay and a pure cgroup2 hierarchy at /sys/fs/cgroup.
 * The kernel and initramfs are cached in /var/cache/tsbox-v2vm (TSBOX_V2VM_CACHE).
 * Exits with the guest's `deno test` status; 1 when the VM did not finish.
 * Needs root, apt-get, dpkg-deb, busybox-static and qemu-system-x86.
 * @module
 */

import { join } from "node:path";
import { fromFileUrl } from "../../lib/url.ts";
import { ensureKernel } from "./kernel.ts";
import { ensureInitramfs } from "./initramfs.ts";
import { bootVm } from "./qemu.ts";

const REPO = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");
const cache = Deno.env.get("TSBOX_V2VM_CACHE") ?? "/var/cache/tsbox-v2vm";
const timeoutMs = Number(Deno.env.get("TSBOX_V2VM_TIMEOUT_S") ?? "1200") * 1000;
/** The v2 tests, and the real-kernel cgroup tests that run on either version. */
const DEFAULT_TESTS = [
  "tests/v2/",
  "tests/cgroup/real_limits_test.ts",
  "tests/cgroup/stats_cli_test.ts",
  "tests/run/limits_run_test.ts",
];
/** Run after the others, on its own (meaningful here: nothing else runs in the VM). */
const LEAK_CHECK = "tests/zz_leak_check_test.ts";
const tests = Deno.args.length ? Deno.args : DEFAULT_TESTS;
const t0 = performance.now();
const since = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const log = (s: string) => console.error(`v2vm [${since()}]: ${s}`);

Deno.mkdirSync(cache, { recursive: true });
const kernel = await ensureKernel(cache, log);
const initramfs = await ensureInitramfs(kernel, cache);
log(`kernel ${kernel.release}, initramfs ${initramfs}`);

const out = Deno.makeTempDirSync({ prefix: "tsbox-v2vm-out-" });
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const denoDir = Deno.env.get("DENO_DIR");
Deno.writeTextFileSync(
  join(out, "run.sh"),
  [
    "export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "export NO_COLOR=1 TSBOX_V2VM=1",
    denoDir ? `export DENO_DIR=${q(denoDir)}` : "",
    `cd ${q(REPO)} || exit 200`,
    `echo "TSBOX-V2VM-READY uptime=$(cut -d' ' -f1 /proc/uptime)"`,
    // type checking under TCG costs ~40 s; `deno task check` on the host covers these files
    `deno test -A --no-check ${tests.map(q).join(" ")}`,
    "rc=$?",
    Deno.args.length ? "" : `deno test -A --no-check ${LEAK_CHECK} || rc=1`,
    "exit $rc",
  ].join("\n") + "\n",
);

let bootS: number | undefined;
let code = 1;
try {
  log(`booting (TCG, 2 vCPUs, 2 GiB); console follows`);
  const r = await bootVm({
    vmlinuz: kernel.vmlinuz,
    initramfs,
    outDir: out,
    memoryMiB: 2048,
    cpus: 2,
    timeoutMs,
    onLine: (l) => {
      const ready = /^TSBOX-V2VM-READY uptime=([\d.]+)/.exec(l);
      if (ready) bootS = Number(ready[1]);
      console.log(l);
    },
  });
  let exit: string | undefined;
  try {
    exit = Deno.readTextFileSync(join(out, "exit")).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (r.timedOut) log(`timed out after ${timeoutMs / 1000}s: VM killed`);
  else if (exit === undefined) log(`VM ended (qemu exit ${r.qemuCode}) before the tests finished`);
  else code = Number(exit);
} finally {
  Deno.removeSync(out, { recursive: true });
}
log(
  `done: exit ${code}; guest boot to ready ${bootS ?? "?"}s (guest uptime), total ${since()}`,
);
Deno.exit(code);
