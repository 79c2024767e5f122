/**
 * Detached containers end to end: logs (-f follows and ends), exec into
 * the container's namespaces, stop after the grace period, exit codes and
 * OOM in inspect and ps. Requires root.
 */

import { assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  cli,
  ok,
  stateOf,
  withSeededRoot,
} from "./_lifecycle.ts";

const RUN_D = "run -d --network none";
// the json-file log by name: written by tsbox's monitor (conmon_test.ts covers k8s-file)
const RUN_D_JSON = "run -d --network none --log-driver json-file";

Deno.test("logs: stdout and stderr of a detached container are logged apart; -f ends at exit", async () => {
  await withSeededRoot(async (root) => {
    const script = "echo out1; echo err1 >&2; sleep 1; echo out2";
    const id = (await ok(root, cli(`${RUN_D_JSON} busybox sh -c`, script))).stdout.trim();
    assertMatch(id, /^[0-9a-f]{64}$/);
    const started = Date.now();
    const f = await ok(root, ["logs", "-f", id.slice(0, 8)]);
    assert(Date.now() - started >= 700, "logs -f returned before the container exited");
    assertEquals(f.stdout, "out1\nout2\n");
    assertEquals(f.stderr, "err1\n");
    const tail = await ok(root, cli("logs --tail 1 -t", id));
    assertMatch(tail.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out2\n$/);
    const log = Deno.readTextFileSync(`${root}/containers/${id}/${id}-json.log`);
    const lines = log.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.stream), ["stdout", "stderr", "stdout"]);
    assertEquals(lines[1].log, "err1\n");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("exec: joins the container's pid, uts and mount namespaces and its cgroup", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(
      root,
      cli(
        `${RUN_D} --hostname boxhost --name ex busybox sh -c`,
        "echo marker > /here; exec sleep 60",
      ),
    )).stdout.trim();
    const probe = 'hostname; tr "\\0" " " < /proc/1/cmdline; echo; cat /here; echo $X; pwd; ' +
      "grep -c tsbox- /proc/self/cgroup";
    const r = await ok(root, cli("exec -e X=1 -w /tmp ex sh -c", probe));
    const [host, pid1, marker, x, cwd, cgroups] = r.stdout.split("\n");
    assertEquals(host, "boxhost");
    assertEquals(pid1.trim(), "sleep 60");
    assertEquals([marker, x, cwd], ["marker", "1", "/tmp"]);
    assert(Number(cgroups) >= 1, `exec'd process outside the container cgroup: ${r.stdout}`);
    assertEquals((await tsbox(root, cli("exec ex sh -c", "exit 7"))).code, 7);
    const missing = await tsbox(root, cli("exec ex nosuchcmd"));
    assertEquals(missing.code, 126); // docker: an exec that cannot start is 126, not 127
    assertStringIncludes(missing.stderr, "executable file not found");
    const user = await tsbox(root, cli("exec -u nosuchuser ex true"));
    assertEquals(user.code, 126);
    assertStringIncludes(user.stderr, "unable to find user nosuchuser");
    const tty = await tsbox(root, cli("exec -it ex true")); // stdin is /dev/null
    assertEquals([tty.code, tty.stderr.split("\n")[0]], [
      1,
      "tsbox: the input device is not a TTY",
    ]);
    const pid = stateOf(root, id).pid as number;
    await ok(root, cli("rm -f ex"));
    assertNoLeaks(root, [id], [pid]);
  });
});

Deno.test("stop: a container ignoring SIGTERM is killed after -t; 137 in inspect and ps", async () => {
  await withSeededRoot(async (root) => {
    const script = 'trap "" TERM; while true; do sleep 0.1; done';
    const id = (await ok(root, cli(`${RUN_D} --name stubborn busybox sh -c`, script))).stdout
      .trim();
    const pid = stateOf(root, id).pid as number;
    const t0 = Date.now();
    assertEquals((await ok(root, cli("stop -t 1 stubborn"))).stdout, "stubborn\n");
    const took = Date.now() - t0;
    assert(took >= 1000 && took < 8000, `stop took ${took} ms`);
    const fmt = "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}";
    assertEquals((await ok(root, ["inspect", "-f", fmt, id])).stdout, "exited 137 false\n");
    assertMatch((await ok(root, ["ps", "-a"])).stdout, /Exited \(137\) .* stubborn/);
    assertEquals((await ok(root, ["ps", "-q"])).stdout, "");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id], [pid]);
  });
});

Deno.test("inspect/ps: exit codes and an OOM kill are recorded", async () => {
  await withSeededRoot(async (root) => {
    const three = (await ok(root, cli(`${RUN_D} busybox sh -c`, "exit 3"))).stdout.trim();
    const hog = `${RUN_D} -m 32m --name hog busybox dd if=/dev/zero of=/dev/null bs=100M count=1`;
    const oom = (await ok(root, cli(hog))).stdout.trim();
    assertEquals((await ok(root, ["wait", three, "hog"])).stdout, "3\n137\n");
    const docs = JSON.parse((await ok(root, ["inspect", three, oom])).stdout);
    assertEquals(docs.map((d: { State: { ExitCode: number } }) => d.State.ExitCode), [3, 137]);
    assertEquals(docs.map((d: { State: { OOMKilled: boolean } }) => d.State.OOMKilled), [
      false,
      true,
    ]);
    assertEquals(docs[1].HostConfig.Memory, 32 * 1024 * 1024);
    assertEquals(docs[1].Name, "/hog");
    assertEquals(docs[0].State.Status, "exited");
    const ps = (await ok(root, ["ps", "-a", "--format", "{{.Names}} {{.Status}}"])).stdout;
    assertMatch(ps, /^hog Exited \(137\) /m);
    assertMatch(ps, / Exited \(3\) /);
    const exited3 = await ok(root, cli("ps -q --no-trunc --filter exited=3"));
    assertEquals(exited3.stdout, `${three}\n`);
    await ok(root, ["rm", three, oom]);
    assertNoLeaks(root, [three, oom]);
  });
});
