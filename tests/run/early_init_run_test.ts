/**
 * `run`'s head start (lib/container/runner.ts EarlyInit, start_steps.ts
 * beginCgroupJoin): the init is spawned before the container is created and
 * joins the controllers that cannot constrain it while it starts. Checked
 * through the CLI on the real kernel (root): the container's PID 1 ends up
 * in its cgroup in every hierarchy with and without limits, tiny limits
 * still start, and a create that fails leaves no init behind.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { forceCleanup, isAlive, waitRunning } from "./_containers.ts";
import { openCgroups } from "../../lib/cgroup/mod.ts";
import { fitsAhead } from "../../lib/run_ahead_fit.ts";

const NONE = ["--network", "none"];

/** Host pids whose command line mentions `root` (a tsbox process of this test's state). */
function processesOf(root: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes(root) && isAlive(Number(e.name))) out.push(Number(e.name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The cgroup paths of `pid` per v1 hierarchy (or "0::" on v2), host view. */
function cgroupLines(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim().split("\n");
}

async function checkJoined(root: string, name: string, flags: string[]): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: tsboxArgv(root, ["run", "--name", name, ...NONE, ...flags, "busybox", "sleep", "30"]),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let running = { id: "", pid: 0 };
  try {
    running = await waitRunning(root, name);
    const want = `tsbox-${running.id}`;
    const hierarchies = openCgroups().open(want)!.paths.length;
    const lines = cgroupLines(running.pid).filter((l) => l.includes(want));
    // every hierarchy tsbox made a cgroup in has the container's PID 1
    assert(lines.length >= hierarchies, `${flags.join(" ")}: ${cgroupLines(running.pid)}`);
    const rm = await tsbox(root, ["rm", "-f", name]);
    assertEquals(rm.code, 0, rm.stderr);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await child.stderr.cancel();
    await forceCleanup(running.id, running.pid);
  }
}

Deno.test("run: the container's PID 1 is in its cgroup in every hierarchy, limits or none", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    await checkJoined(root, "early-plain", []);
    // memory, pids and a CPU quota join late; the rest early
    await checkJoined(root, "early-limited", ["-m", "64m", "--pids-limit", "50", "--cpus", "0.5"]);
  });
});

Deno.test("run: tiny memory and pids limits still start (those join after the init's setup)", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-m",
      "6m",
      "--pids-limit",
      "2",
      "busybox",
      "sh",
      "-c",
      "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/pids.max",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^2\n/);
  });
});

Deno.test("run: a create that fails stops the init spawned ahead of it", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const missing = await tsbox(root, ["run", "--rm", ...NONE, "no-such-image:1", "true"]);
    assertEquals(missing.code, 125);
    const first = await tsbox(root, ["create", "--name", "taken", ...NONE, "busybox", "true"]);
    assertEquals(first.code, 0, first.stderr);
    const clash = await tsbox(root, ["run", "--name", "taken", ...NONE, "busybox", "true"]);
    assertEquals(clash.code, 125);
    assertMatch(clash.stderr, /already in use/);
    assertEquals(processesOf(root), []);
  });
});

Deno.test("run: a CLI killed while it creates takes its early init with it", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    // hold the names lock: the create waits on it, with the early init already spawned
    Deno.mkdirSync(`${root}/locks`, { recursive: true });
    const lock = Deno.openSync(`${root}/locks/names.lock`, { create: true, write: true });
    lock.lockSync(true);
    const cli = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, ["run", "--rm", ...NONE, "busybox", "true"]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const inits = () =>
        processesOf(root).filter((p) =>
          Deno.readTextFileSync(`/proc/${p}/cmdline`).includes("__init")
        );
      for (let i = 0; i < 200 && inits().length === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assertEquals(inits().length, 1, "the init is spawned before the create");
      cli.kill("SIGKILL");
      const out = await cli.output();
      assertEquals(out.code, 137);
      for (let i = 0; i < 200 && processesOf(root).length; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      // the init saw EOF where its spec should come, and ended
      assertEquals(processesOf(root), []);
    } finally {
      lock.close();
      for (const p of processesOf(root)) Deno.kill(p, "SIGKILL");
    }
  });
});

Deno.test("run ahead: only arguments that surely want the plain shape and default stdio", () => {
  for (const args of [["--rm", "busybox", "true"], ["-v", "x:/x", "-e", "A=1", "busybox"]]) {
    assert(fitsAhead(args, {}), args.join(" "));
  }
  for (
    const args of [
      ["-d", "busybox"],
      ["-it", "busybox"],
      ["-ti", "busybox"],
      ["--rm", "-a", "stdout", "busybox"],
      ["--pid=host", "busybox"],
      ["--userns", "auto", "busybox"],
      ["--uidmap", "0:100:1", "busybox"],
      ["--restart", "always", "busybox"],
      ["--help"],
      ["busybox", "ls", "-d", "/"], // the container's own -d: in doubt, no head start
    ]
  ) assert(!fitsAhead(args, {}), args.join(" "));
  assert(!fitsAhead(["busybox"], { TSBOX_EARLY_INIT: "0" }));
  assert(!fitsAhead(["busybox"], { TSBOX_USERNS: "auto" }));
});

Deno.test("run ahead: main.ts goes to the spawn's modules only for arguments that fit", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const marks = async (args: string[]) => {
      const file = `${root}/trace.log`;
      const r = await tsbox(root, args, { env: { TSBOX_TRACE: file } });
      assertEquals(r.code, 0, r.stderr);
      const text = Deno.readTextFileSync(file);
      Deno.removeSync(file);
      return text.split("\n").map((l) => l.split(" ").slice(2).join(" "));
    };
    // "ahead" is marked once run_ahead's modules are loaded and asked
    assert((await marks(["run", "--rm", ...NONE, "busybox", "true"])).includes("ahead"));
    assert(!(await marks(["run", "--help"])).includes("ahead"));
  });
});

Deno.test("run ahead: a run that ends before it uses the init (--help, a bad flag) stops it", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const help = await tsbox(root, ["run", "--help"]);
    assertEquals(help.code, 0);
    const bad = await tsbox(root, ["run", "--rm", "--bogus", "busybox", "true"]);
    assertEquals(bad.code, 125);
    const plain = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "true"], {
      env: { TSBOX_TRACE: `${root}/trace` },
    });
    assertEquals(plain.code, 0, plain.stderr);
    // one init for the run that used it: the one spawned ahead
    const inits = Deno.readTextFileSync(`${root}/trace`).split("\n").filter((l) =>
      l.endsWith("(__init exec)")
    );
    assertEquals(inits.length, 1);
    assertEquals(processesOf(root), []);
  });
});
