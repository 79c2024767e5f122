/**
 * cgroup v2 on a real v2 kernel, through `tsbox run`: limits land in the unified
 * hierarchy's files, OOM and fork limits bite, `exec` joins the container's cgroup,
 * `stats` reads it, nothing is left, and the leak check finds what is left.
 *
 * Needs root on a pure cgroup v2 host; elsewhere (this repo's v1-hybrid CI machine)
 * every test is ignored. `deno task test:v2` boots Debian's kernel under QEMU with a pure
 * v2 hierarchy and runs this file there.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { DENO, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";
import { cgroupsOf, removeCgroups, tsboxCgroups } from "../helpers/cgroup_leaks.ts";
import { hostInfo, openCgroups, parseResourceFlags } from "../../lib/cgroup/mod.ts";
import { pathExists } from "../run/_containers.ts";
import { until } from "../container/_lifecycle.ts";

const ROOT = "/sys/fs/cgroup";
const PURE_V2 = pathExists(join(ROOT, "cgroup.controllers"));
const ignore = !PURE_V2 || Deno.uid() !== 0;
if (ignore) {
  console.error(
    "tests/v2: skipped: needs root on a pure cgroup v2 host (this one is not); " +
      "`deno task test:v2` runs these tests in a v2 VM",
  );
}
const NONE = ["--network", "none"];
const read = (dir: string, file: string) => Deno.readTextFileSync(join(dir, file)).trim();
const rand = () => crypto.randomUUID().slice(0, 8);

/** A seeded root whose containers are all removed afterwards, and their cgroups checked gone. */
function withBusybox(fn: (root: string, ids: string[]) => Promise<void>): Promise<void> {
  return withRoot(async (root) => {
    const ids: string[] = [];
    try {
      await seedBusybox(root);
      await fn(root, ids);
    } finally {
      const ps = await tsbox(root, ["ps", "-aq", "--no-trunc"]);
      const left = ps.stdout.split("\n").filter(Boolean);
      if (left.length) await tsbox(root, ["rm", "-f", ...left]);
      for (const id of [...ids, ...left]) assertEquals(cgroupsOf(id), [], `cgroups of ${id}`);
    }
  });
}

/** `tsbox run -d …` → the container id (asserts exit 0). */
async function runDetached(root: string, args: string[]): Promise<string> {
  const r = await tsbox(root, ["run", "-d", ...NONE, ...args]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

Deno.test({
  name: "run -d on v2: every limit is written to the container's unified cgroup",
  ignore,
  fn: () =>
    withBusybox(async (root, ids) => {
      const cpu = hostInfo().cpus.at(-1)!;
      const id = await runDetached(root, [
        ...["--name", "limits", "--cpus", "0.5", "--cpu-shares", "512"],
        ...["--cpuset-cpus", String(cpu), "-m", "64m", "--memory-swap", "96m"],
        ...["--memory-reservation", "32m", "--pids-limit", "30", "busybox", "sleep", "1000"],
      ]);
      ids.push(id);
      const dirs = cgroupsOf(id);
      assertEquals(dirs, [join(ROOT, `tsbox-${id}`)], "one cgroup, directly under the v2 root");
      const dir = dirs[0];
      assertEquals(read(dir, "cpu.max"), "50000 100000");
      assertEquals(read(dir, "cpu.weight"), "59"); // runc's shares → weight: 512 → 59, 1024 → 100
      assertEquals(read(dir, "cpuset.cpus"), String(cpu));
      assertEquals(read(dir, "cpuset.cpus.effective"), String(cpu));
      assertEquals(read(dir, "memory.max"), String(64 << 20));
      assertEquals(
        read(dir, "memory.swap.max"),
        String(32 << 20),
        "v2 swap = memory-swap − memory",
      );
      assertEquals(read(dir, "memory.low"), String(32 << 20));
      assertEquals(read(dir, "pids.max"), "30");
      for (const c of ["cpuset", "cpu", "memory", "pids"]) {
        assert(read(ROOT, "cgroup.subtree_control").split(" ").includes(c), `${c} enabled`);
      }
    }),
});

Deno.test({
  name: "run --memory-swap -1 on v2: swap unlimited (max), memory limited",
  ignore,
  fn: () =>
    withBusybox(async (root, ids) => {
      const id = await runDetached(root, [
        "-m",
        "48m",
        "--memory-swap",
        "-1",
        "busybox",
        "sleep",
        "1000",
      ]);
      ids.push(id);
      const dir = join(ROOT, `tsbox-${id}`);
      assertEquals(read(dir, "memory.max"), String(48 << 20));
      assertEquals(read(dir, "memory.swap.max"), "max");
    }),
});

Deno.test({
  name: "run -m on v2: a memory hog is OOM-killed → 137, inspect shows OOMKilled",
  ignore,
  fn: () =>
    withBusybox(async (root) => {
      const r = await tsbox(root, [
        ...["run", "--name", "hog", ...NONE, "-m", "32m", "--memory-swap", "32m", "busybox"],
        ...["sh", "-c", 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
      ], { timeoutMs: 120_000 });
      assertEquals(r.code, 137, r.stdout + r.stderr);
      assert(!r.stdout.includes("survived"));
      const ins = await tsbox(root, ["inspect", "hog"]);
      assertEquals(ins.code, 0, ins.stderr);
      const state = JSON.parse(ins.stdout)[0].State;
      assertEquals(state.OOMKilled, true);
      assertEquals(state.ExitCode, 137);
    }),
});

Deno.test({
  name: "run --pids-limit on v2: a fork loop is capped and pids.events counts the refusals",
  ignore,
  fn: () =>
    withBusybox(async (root, ids) => {
      const id = await runDetached(root, [
        // the json-file log read below is tsbox's monitor's (under conmon it is k8s-file)
        ...["--log-driver", "json-file", "--pids-limit", "10", "busybox", "sh", "-c"],
        // the inner shell stops at its first refused fork; its sleeps stay (reparented to 1)
        "sh -c 'for i in $(seq 30); do sleep 1000 & done' 2>/dev/null; echo forked; exec sleep 1000",
      ]);
      ids.push(id);
      const dir = join(ROOT, `tsbox-${id}`);
      const log = `${root}/containers/${id}/${id}-json.log`;
      await until(
        "the fork loop's marker",
        () => pathExists(log) && Deno.readTextFileSync(log).includes("forked"),
        120_000, // emulated, on a loaded host
      );
      const n = Number(read(dir, "pids.current"));
      assert(n >= 5 && n <= 10, `pids.current ${n}: 30 sleeps asked, at most 10 tasks allowed`);
      assert(/^max [1-9]/m.test(read(dir, "pids.events")), read(dir, "pids.events"));
    }),
});

Deno.test({
  name: "run on v2 with docker's smallest limits (-m 6m, --pids-limit 1): the command still runs",
  ignore,
  fn: () =>
    withBusybox(async (root) => {
      // the (threaded, ~40 MB) Deno init joins the cgroup before its execve: it must not be
      // what the limits kill
      for (const flags of [["-m", "6m"], ["--pids-limit", "1"]]) {
        const r = await tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "echo", "ran"]);
        assertEquals([r.code, r.stdout.trim()], [0, "ran"], `${flags.join(" ")}: ${r.stderr}`);
      }
    }),
});

Deno.test({
  name: "exec on v2: the process joins the container's cgroup; stats reads it",
  ignore,
  fn: () =>
    withBusybox(async (root, ids) => {
      const id = await runDetached(root, [
        "--name",
        "joined",
        "-m",
        "64m",
        "busybox",
        "sleep",
        "1000",
      ]);
      ids.push(id);
      const pid = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`)).pid;
      assertEquals(Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim(), `0::/tsbox-${id}`);
      // the exec'd shell and the container's init see one and the same cgroup
      // (also true once the container gets its own cgroup namespace)
      const e = await tsbox(root, [
        "exec",
        "joined",
        "sh",
        "-c",
        "cat /proc/self/cgroup /proc/1/cgroup",
      ]);
      assertEquals(e.code, 0, e.stderr);
      const [self, init] = e.stdout.trim().split("\n");
      assertEquals(self, init, e.stdout);
      const s = await tsbox(root, ["stats", "--no-stream", "--format", "json", "joined"]);
      assertEquals(s.code, 0, s.stderr);
      const row = JSON.parse(s.stdout.trim());
      assertEquals(row.PIDs, "1");
      assertStringIncludes(row.MemUsage, " / 64MiB");
    }),
});

Deno.test({
  name: "rm -f on v2: a container whose cgroup has sub-cgroups leaves none behind",
  ignore,
  fn: () =>
    withBusybox(async (root, ids) => {
      const id = await runDetached(root, ["busybox", "sleep", "1000"]);
      ids.push(id);
      // what systemd or a nested runtime in the container would do with a delegated cgroup
      Deno.mkdirSync(join(ROOT, `tsbox-${id}`, "payload", "inner"), { recursive: true });
      const rm = await tsbox(root, ["rm", "-f", id]);
      assertEquals(rm.code, 0, rm.stderr);
      assertEquals(cgroupsOf(id), []);
    }),
});

Deno.test({
  name: "V2Driver nested placement: a parent chain gets the controllers enabled at every level",
  ignore,
  fn: async () => {
    const top = `v2nest-${rand()}`;
    const parent = `${top}/inner`;
    const name = `tsbox-nested-${rand()}`;
    try {
      const cg = openCgroups().createAt(
        `/${parent}/${name}`,
        parseResourceFlags({ memory: "64m", "pids-limit": "7" }, hostInfo()),
      );
      assertEquals(cg.paths, [join(ROOT, parent, name)]);
      for (const level of [top, parent]) {
        const on = read(join(ROOT, level), "cgroup.subtree_control").split(" ");
        assert(on.includes("memory") && on.includes("pids"), `${level}: ${on}`);
      }
      assertEquals(read(cg.paths[0], "memory.max"), String(64 << 20));
      assertEquals(read(cg.paths[0], "pids.max"), "7");
      assertEquals(openCgroups().openAt(`/${parent}/${name}`)?.paths, cg.paths);
      assertEquals(tsboxCgroups((n) => n === name), cg.paths, "the leak check finds it nested");
      await cg.destroy();
      assertEquals(tsboxCgroups((n) => n === name), []);
    } finally {
      removeCgroups(tsboxCgroups((n) => n === name));
      removeCgroups([join(ROOT, top)]);
    }
  },
});

/**
 * Run the CLI as from inside a container: moved into the new cgroup `outer`, then in its
 * own cgroup namespace and mount namespace with cgroup2 mounted afresh, so the mount root
 * tsbox sees is `outer` — a cgroup with processes, not the real root.
 */
async function tsboxInCgroupns(root: string, outer: string, args: string[]) {
  const argv = tsboxArgv(root, args).map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const inner =
    `umount /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec ${DENO} ${argv}`;
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `echo $$ >${outer}/cgroup.procs && exec unshare -C -m --propagation private sh -c "$0"`,
      inner,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "run in a cgroup namespace (tsbox in a container): limits → one clear error; none → runs",
  ignore,
  fn: () =>
    withBusybox(async (root) => {
      // what a container's cgroup offers: the controllers its parent (here the root) enables
      Deno.writeTextFileSync(join(ROOT, "cgroup.subtree_control"), "+cpuset +cpu +memory +pids");
      const outer = join(ROOT, `v2ns-${rand()}`);
      Deno.mkdirSync(outer);
      try {
        const limited = await tsboxInCgroupns(root, outer, [
          ...["run", "--rm", ...NONE, "-m", "32m", "busybox", "true"],
        ]);
        assertEquals(limited.code, 125, limited.stdout + limited.stderr);
        assertStringIncludes(limited.stderr, "it has processes of its own");
        const plain = await tsboxInCgroupns(root, outer, [
          // host cgroupns (private is v2's default) to see where the container was placed
          ...["run", "--rm", ...NONE, "--cgroupns", "host", "busybox", "cat", "/proc/self/cgroup"],
        ]);
        assertEquals(plain.code, 0, plain.stderr);
        assertStringIncludes(plain.stdout, "/tsbox-"); // placed below the namespace's root
        assertEquals(tsboxCgroups().filter((p) => p.startsWith(outer)), []);
      } finally {
        removeCgroups([outer]);
      }
    }),
});

Deno.test({
  name: "tsboxCgroups on v2: finds deliberately leaked cgroups, flat and nested",
  ignore,
  fn: () => {
    const flat = join(ROOT, `tsbox-leak-${rand()}`);
    const outer = join(ROOT, `v2leak-${rand()}`);
    const nested = join(outer, `tsbox-${rand()}`);
    try {
      Deno.mkdirSync(flat);
      Deno.mkdirSync(join(nested, "child"), { recursive: true });
      const found = tsboxCgroups();
      assert(found.includes(flat), `${flat} not found in ${found}`);
      assert(found.includes(nested), `${nested} not found in ${found}`);
      assert(!found.includes(join(nested, "child")), "what is below a leak is part of it");
      assertEquals(cgroupsOf(nested.slice(nested.lastIndexOf("tsbox-") + 6)), [nested]);
    } finally {
      removeCgroups([flat, outer]);
    }
    assertEquals(tsboxCgroups().filter((p) => p === flat || p === nested), []);
  },
});

Deno.test({
  name:
    "v2 device program: default devices open, a mknod'ed node is refused unless a rule allows it",
  ignore,
  fn: () =>
    withBusybox(async (root) => {
      // the program is attached to the container's cgroup: mknod is allowed, open is not
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "busybox",
        "sh",
        "-c",
        // a write-only open of kmsg needs no capability: only the device program refuses it
        "head -c1 /dev/zero >/dev/null && echo zero-ok; mknod /tmp/k c 1 11 && echo mknod-ok; " +
        "echo tsbox-v2-test > /tmp/k; echo kmsg=$?",
      ]);
      assertStringIncludes(r.stdout, "zero-ok\nmknod-ok\n");
      assertStringIncludes(r.stdout, "kmsg=1");
      assertStringIncludes(r.stderr, "Operation not permitted");
      const dev = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "--device-cgroup-rule",
        "c 1:11 w",
        "busybox",
        "sh",
        "-c",
        "mknod /tmp/k c 1 11 && echo tsbox-v2-test > /tmp/k && echo passthrough-ok",
      ]);
      assertEquals(dev.stdout, "passthrough-ok\n", dev.stderr);
    }),
});

Deno.test({
  name: "cgroupns: private by default on v2, the container's cgroup is its root",
  ignore,
  fn: () =>
    withBusybox(async (root) => {
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "-m",
        "64m",
        "busybox",
        "sh",
        "-c",
        "cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max; touch /sys/fs/cgroup/x; echo rw=$?",
      ]);
      const [cg, max] = r.stdout.split("\n");
      assertEquals(cg, "0::/", r.stderr);
      assertEquals(max, String(64 << 20));
      assertStringIncludes(r.stdout, "rw=1", "read-only");
      const host = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "--cgroupns",
        "host",
        "busybox",
        "cat",
        "/proc/self/cgroup",
      ]);
      assert(/^0::\/tsbox-[0-9a-f]{64}$/m.test(host.stdout), host.stdout);
    }),
});
