/**
 * Detached containers under conmon: conmon (not a Deno process) is the
 * supervisor and the init's parent, its k8s-file log is what `logs`
 * shows, stop/exit codes/--rm go through conmon's exit command, a
 * SIGKILLed conmon takes its container along and ps says so, and what
 * conmon cannot do (health checks, a json-file log by name) falls back to
 * tsbox's monitor. Requires root and conmon (skipped without it).
 */

import { assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { mountsUnder } from "../../lib/safe_remove.ts";
import { isSameProcess } from "../../lib/container/proc.ts";
import { findConmon } from "../../lib/container/conmon.ts";
import { exitFile } from "../../lib/container/conmon_files.ts";
import { exists } from "../../lib/fsutil.ts";
import { withTmpfsRoot } from "./_fault.ts";
import { parseK8sLine, parseK8sLines, utcTime } from "../../lib/container/k8s_log.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cgroupsOf,
  cli,
  containerIds,
  ok,
  stateOf,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";

const ignore = !findConmon(Deno.env.toObject());
const RUN_D = "run -d --network none";

/** The process name of `pid`. */
function comm(pid: number): string {
  return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
}

/** The parent of `pid` as the host sees it. */
function ppid(pid: number): number {
  return Number(/^PPid:\s*(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]);
}

Deno.test("k8s log: parseK8sLine reads conmon's lines (full, partial, any zone); utcTime keeps ns", () => {
  assertEquals(parseK8sLine("2026-12-01T12:51:59.542677152+00:00 stdout F hello"), {
    stream: "stdout",
    time: "2026-12-01T12:51:59.542677152Z",
    log: "hello\n",
  });
  assertEquals(parseK8sLine("2026-12-01T13:51:59.5+01:00 stderr P part")?.log, "part");
  assertEquals(
    parseK8sLine("2026-12-01T13:51:59.5+01:00 stderr P part")?.time,
    utcTime(
      "2026-12-01T12:51:59.5Z",
    ),
  );
  assertEquals(parseK8sLine("2026-12-01T12:51:59Z stdout F")?.log, "\n", "an empty line");
  assertEquals(utcTime("2026-12-01T01:00:00.123456789-02:30"), "2026-12-01T03:30:00.123456789Z");
  for (const bad of ["", "garbage", "2026-12-01T12:51:59Z stdin F x", "2026-12-01 stdout F x"]) {
    assertEquals(parseK8sLine(bad), undefined, bad);
  }
  const torn = '2026-12-01T12:51:59Z stdout F a\n{"log":"json"}\n2026-12-01T12:51:59Z std';
  assertEquals(parseK8sLines(torn).map((e) => e.log), ["a\n"]);
});

Deno.test({
  name: "conmon: supervises run -d; logs (k8s-file) apart and -f; stop; exit code; nothing left",
  ignore,
  fn: () =>
    withSeededRoot(async (root) => {
      const script = 'echo out1; echo err1 >&2; trap "exit 9" TERM; echo ready; ' +
        "while true; do sleep 0.1; done";
      const id = (await ok(root, cli(`${RUN_D} --name cm busybox sh -c`, script))).stdout.trim();
      const st = stateOf(root, id);
      const [pid, monitor] = [st.pid as number, st.monitorPid as number];
      assertEquals(st.supervisor, "conmon");
      assertEquals(comm(monitor), "conmon", "the supervisor is conmon, not a Deno process");
      assertEquals(ppid(pid), monitor, "the container's init is conmon's child");
      await until("the output in the log", async () =>
        (await ok(root, cli("logs cm"))).stdout.includes("ready"));
      const logs = await ok(root, cli("logs cm"));
      assertEquals([logs.stdout, logs.stderr], ["out1\nready\n", "err1\n"]);
      const k8s = Deno.readTextFileSync(`${root}/containers/${id}/${id}-k8s.log`);
      assertMatch(k8s, /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d) stdout F out1\n/);
      const t = (await ok(root, cli("logs -t cm"))).stdout.split("\n").filter(Boolean);
      assertEquals(
        t.map((l) =>
          l.split(" ")[1]
        ),
        ["out1", "ready"],
      );
      for (const l of t) assertMatch(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \w+$/);
      const lp = await ok(
        root,
        cli("inspect -f", "{{.LogPath}} {{.HostConfig.LogConfig.Type}}", id),
      );
      assertEquals(lp.stdout, `${root}/containers/${id}/${id}-k8s.log k8s-file\n`);
      const follow = tsbox(root, cli("logs -f cm"));
      assertEquals((await ok(root, cli("stop cm"))).stdout, "cm\n");
      const f = await follow;
      assertEquals([f.code, f.stdout], [0, "out1\nready\n"], "logs -f ends at the exit");
      const fmt = "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}";
      assertEquals((await ok(root, ["inspect", "-f", fmt, id])).stdout, "exited 9 false\n");
      assertMatch((await ok(root, ["ps", "-a"])).stdout, /Exited \(9\) .* cm/);
      assert(!isSameProcess(monitor, undefined), "conmon exits after its exit command");
      assertEquals(cgroupsOf(id), [], "the exit command tore the cgroup down");
      assert(!exists(exitFile(id)), "the exit command removed conmon's exit file");
      const code = await tsbox(root, cli(`${RUN_D} busybox sh -c`, "exit 42"));
      const other = code.stdout.trim();
      assertEquals((await ok(root, ["wait", other])).stdout, "42\n");
      await ok(root, cli("start", other)); // again, under a new conmon
      assertEquals((await ok(root, ["wait", other])).stdout, "42\n");
      await ok(root, ["rm", id, other]);
      assertEquals(mountsUnder(root), []);
      assertEquals(containerIds(root), []);
      assertNoLeaks(root, [id, other], [pid, monitor]);
    }),
});

Deno.test({
  name: "conmon: --rm is done by the exit command; a start failure is docker's (127)",
  ignore,
  fn: () =>
    withSeededRoot(async (root) => {
      const id = (await ok(root, cli(`${RUN_D} --rm busybox sh -c`, "echo bye"))).stdout.trim();
      const monitor = stateOf(root, id).monitorPid as number;
      await until("--rm to remove the container", () => !containerIds(root).includes(id));
      await until("conmon to exit", () => !isSameProcess(monitor, undefined));
      const bad = await tsbox(root, cli(`${RUN_D} --name nocmd busybox nosuchcmd`));
      assertEquals(bad.code, 127);
      assertStringIncludes(bad.stderr, 'exec: "nosuchcmd": executable file not found in $PATH');
      const ps = (await ok(root, cli("ps -a --format", "{{.Names}} {{.Status}}"))).stdout;
      assert(ps.startsWith("nocmd Exited (127) "), ps);
      assertEquals((await tsbox(root, cli(`${RUN_D} --rm busybox nosuchcmd`))).code, 127);
      assertEquals(containerIds(root).length, 1, "the failed --rm container is gone");
      await ok(root, cli("rm nocmd"));
      assertNoLeaks(root, [id], [monitor]);
    }),
});

Deno.test({
  name: "conmon SIGKILLed: the container dies with it, ps shows it exited, rm -f cleans all",
  ignore,
  fn: () =>
    withSeededRoot(async (root) => {
      const id = (await ok(root, cli(`${RUN_D} -m 64m --name orphan busybox sleep 300`))).stdout
        .trim();
      const st = stateOf(root, id);
      const [pid, monitor] = [st.pid as number, st.monitorPid as number];
      assertEquals(comm(monitor), "conmon");
      Deno.kill(monitor, "SIGKILL");
      await until("the container to die with conmon", () => !isSameProcess(pid, undefined));
      assertEquals((await ok(root, ["ps", "-q"])).stdout, "");
      const ps = (await ok(root, cli("ps -a --format", "{{.Names}} {{.State}} {{.Status}}")))
        .stdout;
      assert(ps.startsWith("orphan exited Exited (255) "), ps);
      assert(cgroupsOf(id).length > 0, "no exit command ran: the cgroup is left for rm");
      assertEquals((await ok(root, cli("rm -f orphan"))).stdout, "orphan\n");
      assertEquals(mountsUnder(root), []);
      assertNoLeaks(root, [id], [pid, monitor]);
    }),
});

Deno.test({
  name: "conmon: a bridged container is attached by tsbox-runc create and detached at exit",
  ignore,
  fn: () =>
    withSeededRoot(async (root) => {
      const id = (await ok(root, cli("run -d --name net busybox sleep 300"))).stdout.trim();
      assertEquals(comm(stateOf(root, id).monitorPid as number), "conmon");
      const ip = (await ok(root, cli("inspect -f {{.NetworkSettings.IPAddress}} net"))).stdout;
      assertMatch(ip, /^\d+\.\d+\.\d+\.\d+\n$/);
      const inside = await ok(root, cli("exec net ip -4 -o addr show eth0"));
      assertStringIncludes(inside.stdout, ip.trim());
      await ok(root, cli("stop -t 0 net"));
      const records = [...Deno.readDirSync(`${root}/networks/attachments`)]
        .filter((e) => e.name.endsWith(".json"));
      assertEquals(records, [], "the exit command detached the network");
      await ok(root, cli("rm net"));
      assertNoLeaks(root, [id]);
    }),
});

Deno.test({
  name: "conmon: health checks, --log-driver json-file and TSBOX_MONITOR=deno use tsbox's monitor",
  ignore,
  fn: () =>
    withSeededRoot(async (root) => {
      const monitorOf = async (args: string[], env?: Record<string, string>) => {
        const r = await tsbox(root, args, { env });
        assertEquals(r.code, 0, r.stderr);
        return comm(stateOf(root, r.stdout.trim()).monitorPid as number);
      };
      const sleep = ["busybox", "sleep", "300"];
      assertEquals(await monitorOf([...cli(`${RUN_D} --health-cmd true`), ...sleep]), "deno");
      assertEquals(await monitorOf([...cli(`${RUN_D} --log-driver json-file`), ...sleep]), "deno");
      assertEquals(await monitorOf([...cli(RUN_D), ...sleep], { TSBOX_MONITOR: "deno" }), "deno");
      assertEquals(await monitorOf([...cli(RUN_D), ...sleep]), "conmon");
      const forced = await tsbox(root, [...cli(`${RUN_D} --health-cmd true`), ...sleep], {
        env: { TSBOX_MONITOR: "conmon" },
      });
      assert(forced.code !== 0, "TSBOX_MONITOR=conmon refuses what conmon cannot supervise");
      assertStringIncludes(forced.stderr, "health checks");
    }),
});

Deno.test({
  name: "conmon: a log that fills the state root loses neither the exit code nor the teardown",
  ignore,
  fn: () =>
    withTmpfsRoot(16, async (root) => {
      const id = (await ok(
        root,
        cli(
          `${RUN_D} -m 64m --name chatty busybox sh -c`,
          'head -c 40000000 /dev/zero | tr "\\\\0" x; echo; echo done; exit 7',
        ),
      )).stdout.trim();
      const monitor = stateOf(root, id).monitorPid as number;
      assertEquals(comm(monitor), "conmon");
      assertEquals((await ok(root, ["wait", id])).stdout, "7\n");
      assertEquals(cgroupsOf(id), []);
      const logs = await ok(root, ["logs", "--tail", "1", id]);
      assert(logs.stdout.length > 0, "the log holds what fit");
      await ok(root, ["rm", id]);
      assertNoLeaks(root, [id], [monitor]);
    }),
});

Deno.test({
  name:
    "conmon: a conmon that fails is reported with its exit code and stderr, and nothing is left",
  ignore,
  fn: async () => {
    await withSeededRoot(async (root) => {
      const fake = `${root}/fake-conmon`;
      Deno.writeTextFileSync(fake, "#!/bin/sh\necho 'conmon: no such option --x' >&2\nexit 3\n", {
        mode: 0o755,
      });
      const r = await tsbox(root, cli(`${RUN_D} --name failed busybox sleep 60`), {
        env: { TSBOX_CONMON: fake },
      });
      assertEquals(r.code, 125, r.stderr);
      assertStringIncludes(r.stderr, "conmon failed (exit 3): conmon: no such option --x");
      const id = (await ok(root, cli("ps -aq --no-trunc"))).stdout.trim();
      assertEquals(stateOf(root, id).status, "exited");
      assertEquals(cgroupsOf(id), []);
    });
  },
});
