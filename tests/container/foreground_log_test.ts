/**
 * Foreground containers are logged, as docker logs them: `run` without -d
 * prints the output on our stdout/stderr (each stream to its own) and
 * `logs` shows it afterwards with the streams kept; `-a` connects only the
 * streams named but all are logged; a `-t` run logs its pty; json-file
 * rotation applies; `--log-driver none` logs nothing. No output is lost at
 * the exit. Requires root.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { DENO, tsbox, tsboxArgv } from "../helpers/tsbox.ts";
import {
  assertNoLeaks,
  cli,
  containerIds,
  ok,
  stateOf,
  until,
  withSeededRoot,
} from "./_lifecycle.ts";
import { isSameProcess } from "../../lib/container/proc.ts";
import { parseLogLines } from "../../lib/container/log_file.ts";

const RUN = "run --network none";

/** The json log entries of container `id` (current file). */
function logEntries(root: string, id: string): { stream: string; log: string }[] {
  return parseLogLines(Deno.readTextFileSync(`${root}/containers/${id}/${id}-json.log`));
}

/** SIGKILL `child` unless it has exited, and reap it. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // it has exited
  }
  await child.status;
}

async function idOf(root: string, name: string): Promise<string> {
  return (await ok(root, ["inspect", "-f", "{{.Id}}", name])).stdout.trim();
}

Deno.test("run (foreground): output on our stdout and stderr apart, then logs shows it, streams kept", () =>
  withSeededRoot(async (root) => {
    const script = "echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf no-newline; exit 3";
    const r = await tsbox(root, cli(`${RUN} --name fg1 busybox sh -c`, script));
    assertEquals([r.code, r.stdout, r.stderr], [3, "out1\nout2\nno-newline", "err1\nerr2\n"]);
    const logs = await ok(root, cli("logs fg1"));
    assertEquals([logs.stdout, logs.stderr], ["out1\nout2\nno-newline", "err1\nerr2\n"]);
    const id = await idOf(root, "fg1");
    const entries = logEntries(root, id);
    assertEquals(
      entries.filter((e) => e.stream === "stderr").map((e) => e.log),
      ["err1\n", "err2\n"],
    );
    assertEquals(
      entries.filter((e) => e.stream === "stdout").map((e) => e.log),
      ["out1\n", "out2\n", "no-newline"],
    );
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  }));

Deno.test("run -a stdout: only stdout reaches us, stderr is logged all the same", () =>
  withSeededRoot(async (root) => {
    const r = await tsbox(
      root,
      cli(`${RUN} -a stdout --name fg2 busybox sh -c`, "echo seen; echo unseen >&2"),
    );
    assertEquals([r.code, r.stdout, r.stderr], [0, "seen\n", ""]);
    const logs = await ok(root, cli("logs fg2"));
    assertEquals([logs.stdout, logs.stderr], ["seen\n", "unseen\n"]);
    const e = await tsbox(
      root,
      cli(`${RUN} -a stderr --name fg3 busybox sh -c`, "echo unseen; echo seen >&2"),
    );
    assertEquals([e.code, e.stdout, e.stderr], [0, "", "seen\n"]);
    assertEquals((await ok(root, cli("logs fg3"))).stdout, "unseen\n");
  }));

Deno.test("run -t (foreground): the pty's output is ours and logged (all stdout, as docker's)", () =>
  withSeededRoot(async (root) => {
    const r = await tsbox(
      root,
      cli(`${RUN} -t --name fg4 busybox sh -c`, "echo tty1; echo tty2 >&2"),
    );
    assertEquals(r.code, 0);
    assertEquals(r.stdout, "tty1\r\ntty2\r\n");
    const logs = await ok(root, cli("logs fg4"));
    assertEquals([logs.stdout, logs.stderr], ["tty1\r\ntty2\r\n", ""]);
    const entries = logEntries(root, await idOf(root, "fg4"));
    assertEquals(entries.map((e) => e.stream), ["stdout", "stdout"]);
  }));

Deno.test("run (foreground) --log-opt max-size/max-file: rotated; all output still reaches us", () =>
  withSeededRoot(async (root) => {
    const script = "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done";
    const r = await tsbox(
      root,
      cli(`${RUN} --name rot --log-opt max-size=10k --log-opt max-file=3 busybox sh -c`, script),
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, Array.from({ length: 3000 }, (_, i) => `line-${i}\n`).join(""));
    const id = await idOf(root, "rot");
    const files = [...Deno.readDirSync(`${root}/containers/${id}`)].map((e) => e.name)
      .filter((n) => n.startsWith(`${id}-json.log`));
    assertEquals(files.length, 3, files.join(" "));
    for (const f of files) {
      assert(Deno.statSync(`${root}/containers/${id}/${f}`).size <= 10_000, `${f} over max-size`);
    }
    const out = (await ok(root, cli("logs rot"))).stdout.trim().split("\n");
    const first = Number(out[0].slice(5));
    assert(first > 0, "the oldest lines were rotated away");
    assertEquals(out, Array.from({ length: 3000 - first }, (_, i) => `line-${first + i}`));
  }));

Deno.test("run (foreground) --log-driver none: the output is ours, nothing is logged, logs refuses", () =>
  withSeededRoot(async (root) => {
    const r = await tsbox(
      root,
      cli(`${RUN} --log-driver none --name quiet busybox sh -c`, "echo hi; echo ho >&2"),
    );
    assertEquals([r.code, r.stdout, r.stderr], [0, "hi\n", "ho\n"]);
    const id = await idOf(root, "quiet");
    const logs = [...Deno.readDirSync(`${root}/containers/${id}`)].filter((e) =>
      e.name.includes("json.log")
    );
    assertEquals(logs, [], "no log file");
    const none = await tsbox(root, cli("logs quiet"));
    assertEquals([none.code, none.stdout, none.stderr], [
      1,
      "",
      "Error response from daemon: configured logging driver does not support reading\n",
    ]);
  }));

Deno.test("run --rm (foreground): a lot of output, none lost at the exit; the exit code; removed", () =>
  withSeededRoot(async (root) => {
    const r = await tsbox(
      root,
      cli(`${RUN} --rm busybox sh -c`, "seq 1 100000; seq 1 5000 >&2; exit 9"),
    );
    assertEquals(r.code, 9);
    const want = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join("");
    assertEquals(r.stdout.length, want(100000).length);
    assert(r.stdout === want(100000), "stdout differs");
    assertEquals(r.stderr, want(5000));
    assertEquals(containerIds(root), []);
    assertStringIncludes(r.stdout.slice(-7), "100000");
  }));

Deno.test("run (foreground): a reader slower than the drain still gets all the output", () =>
  withSeededRoot(async (root) => {
    // about 110 KB: it fits in the two pipes (the container's, ours), so the container can end
    // while the last of it still waits for our reader
    const child = new Deno.Command(DENO, {
      args: tsboxArgv(root, cli(`${RUN} busybox sh -c`, "seq 1 20000; echo last-line")),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      let pid = 0;
      await until("the container's end", () => {
        const [id] = containerIds(root);
        if (!id) return false;
        try {
          pid ||= Number(stateOf(root, id).pid ?? 0);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return false; // not created yet
          throw err;
        }
        return pid > 0 && !isSameProcess(pid, undefined);
      }, 60_000);
      // the slow reader: longer than the pumps get after the container's end (2 s, twice)
      await new Promise((r) => setTimeout(r, 6000));
      const out = await new Response(child.stdout).text();
      assertEquals((await child.status).code, 0);
      const want = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("") + "last-line\n";
      assert(out === want, `got ${out.length} bytes of ${want.length}`);
    } finally {
      await stop(child);
    }
  }));
