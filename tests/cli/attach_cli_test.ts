/**
 * `tsbox attach` to detached containers, through the CLI: a `-dit` shell
 * takes our input through a terminal (script(1) gives the attach a pty),
 * ctrl-p ctrl-q (or --detach-keys) leaves it running with docker's "read
 * escape sequence" and exit 1, its exit ends the attach with its code; a
 * non-tty container's stdout and stderr arrive apart; docker's refusals.
 * The attached starts `run -it` and `start -ai`: the same keys detach them
 * (exit 0, as docker's run and start), the container runs on under its
 * monitor, `attach` takes it up again, its exit code ends them.
 * Requires root.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { DENO, MAIN, tsbox } from "../helpers/tsbox.ts";
import {
  assertNoLeaks,
  containerIds,
  ok,
  processesUsing,
  stateOf,
  until,
  withSeededRoot,
} from "../container/_lifecycle.ts";

const NONE = ["--network", "none"];

/** A process whose output is collected as it comes; `waitFor` polls it. */
interface Live {
  child: Deno.ChildProcess;
  out: () => string;
  err: () => string;
  write: (s: string) => Promise<void>;
  waitFor: (text: string, ms?: number) => Promise<void>;
  /** Exit code (SIGKILLed after 30 s so a hung attach fails the test). */
  done: () => Promise<number>;
  kill: () => void;
}

function live(argv: string[]): Live {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => (out += t)),
    pump(child.stderr, (t) => (err += t)),
  ]);
  const writer = child.stdin.getWriter();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // it has exited
    }
  };
  return {
    child,
    out: () => out,
    err: () => err,
    write: (s) => writer.write(new TextEncoder().encode(s)),
    async waitFor(text, ms = 20_000) {
      const end = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > end) {
          throw new Error(`no "${text}" in output: ${JSON.stringify(out)} ${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async done() {
      const timer = setTimeout(kill, 30_000);
      const status = await child.status.finally(() => clearTimeout(timer));
      await pumps;
      await writer.close().catch(() => {
        // the process is gone: its stdin is closed already
      });
      return status.code;
    },
    kill,
  };
}

/** `tsbox …` inside script(1), so it has a terminal (its stdin stays open until it exits). */
function inTerminal(root: string, args: string[]): Live {
  const inner = [DENO, "run", "-A", "--quiet", MAIN, "--root", root, ...args]
    .map((a) => `'${a}'`).join(" ");
  return live(["script", "-qec", inner, "/dev/null"]);
}

/** `tsbox attach …` in a terminal. */
function attachInTerminal(root: string, args: string[]): Live {
  return inTerminal(root, ["attach", ...args]);
}

/** The id of container `name` (full). */
async function idOf(root: string, name: string): Promise<string> {
  return (await ok(root, ["inspect", "-f", "{{.Id}}", name])).stdout.trim();
}

Deno.test("attach: a -dit shell takes our input; ctrl-p ctrl-q detaches (exit 1), it runs on", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, ["run", "-dit", ...NONE, "--name", "sh1", "busybox", "sh"])).stdout
      .trim();
    const a = attachInTerminal(root, ["sh1"]);
    try {
      await a.write("echo hi-$((6*7))\n");
      await a.waitFor("hi-42"); // attached, and our terminal is raw from now on
      await a.write("\x10\x11");
      assertEquals(await a.done(), 1);
      assertStringIncludes(a.out(), "read escape sequence");
    } finally {
      a.kill();
    }
    assertEquals(stateOf(root, id).status, "running");
    // attach again with other keys: they detach
    const b = attachInTerminal(root, ["--detach-keys", "ctrl-x,x", "sh1"]);
    try {
      await b.write("echo again-$((2*3))\n");
      await b.waitFor("again-6");
      await b.write("\x18x");
      assertEquals(await b.done(), 1);
      assertStringIncludes(b.out(), "read escape sequence");
    } finally {
      b.kill();
    }
    // and once more: the shell's exit ends the attach with its code
    const c = attachInTerminal(root, ["sh1"]);
    try {
      await c.write("echo last-$((3*3))\n");
      await c.waitFor("last-9");
      await c.write("exit 3\n");
      assertEquals(await c.done(), 3);
      assert(!c.out().includes("read escape sequence"), c.out());
    } finally {
      c.kill();
    }
    assertEquals((await ok(root, ["wait", "sh1"])).stdout, "3\n");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("attach: a non-tty container's stdout and stderr arrive apart; its exit code is ours", async () => {
  await withSeededRoot(async (root) => {
    const script =
      "while [ ! -e /go ]; do echo tick; sleep 0.2; done; echo late-out; echo late-err >&2; exit 5";
    const id =
      (await ok(root, ["run", "-d", ...NONE, "--name", "nt1", "busybox", "sh", "-c", script]))
        .stdout.trim();
    const a = live([DENO, "run", "-A", "--quiet", MAIN, "--root", root, "attach", "nt1"]);
    try {
      await a.waitFor("tick");
      await ok(root, ["exec", "nt1", "touch", "/go"]);
      assertEquals(await a.done(), 5);
      assert(a.out().endsWith("tick\nlate-out\n"), a.out());
      assertEquals(a.err(), "late-err\n");
    } finally {
      a.kill();
    }
    // no attach socket is left (under conmon there never was one: attach follows its log)
    let sockets: string[] = [];
    try {
      sockets = [...Deno.readDirSync(`${root}/attach`)].map((e) => e.name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    assertEquals(sockets, []);
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("attach: docker's refusals (stopped, -t stdin not a terminal, bad keys)", async () => {
  await withSeededRoot(async (root) => {
    await ok(root, ["create", ...NONE, "--name", "cr", "busybox"]);
    const stopped = await tsbox(root, ["attach", "cr"]);
    assertEquals([stopped.code, stopped.stderr], [
      1,
      "tsbox: You cannot attach to a stopped container, start it first\n",
    ]);
    await ok(root, ["run", "-dit", ...NONE, "--name", "tt", "busybox", "sh"]);
    const notty = await tsbox(root, ["attach", "tt"]); // stdin is /dev/null
    assertEquals([notty.code, notty.stderr.split("\n")[0]], [
      1,
      "tsbox: the input device is not a TTY",
    ]);
    const keys = await tsbox(root, ["attach", "--detach-keys", "ctrl-1", "tt"]);
    assertEquals(keys.code, 1);
    assertStringIncludes(keys.stderr, "Invalid detach keys (ctrl-1) provided");
    const missing = await tsbox(root, ["attach", "nosuch"]);
    assertEquals([missing.code, missing.stderr], [1, "tsbox: No such container: nosuch\n"]);
  });
});

Deno.test("run -it: ctrl-p ctrl-q detaches (exit 0), it runs on; attach takes it up, its exit code ends it", async () => {
  await withSeededRoot(async (root) => {
    const a = inTerminal(root, ["run", "-it", ...NONE, "--name", "it1", "busybox", "sh"]);
    try {
      await a.write("echo hi-$((6*7))\n");
      await a.waitFor("hi-42");
      await a.write("\x10\x11");
      assertEquals(await a.done(), 0);
      assertStringIncludes(a.out(), "read escape sequence");
    } finally {
      a.kill();
    }
    const id = await idOf(root, "it1");
    assertEquals(stateOf(root, id).status, "running");
    assertEquals((await ok(root, ["ps", "-q", "--no-trunc"])).stdout, `${id}\n`);
    const b = attachInTerminal(root, ["it1"]);
    try {
      await b.write("echo back-$((2*5))\n");
      await b.waitFor("back-10");
      await b.write("exit 4\n");
      assertEquals(await b.done(), 4);
    } finally {
      b.kill();
    }
    assertEquals((await ok(root, ["wait", "it1"])).stdout, "4\n");
    // it was logged all along, typed input echoed by its pty included
    const logs = (await ok(root, ["logs", "it1"])).stdout;
    assertStringIncludes(logs, "hi-42");
    assertStringIncludes(logs, "back-10");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("run -it: a signal to the CLI reaches the container (as a foreground run's)", async () => {
  await withSeededRoot(async (root) => {
    const a = inTerminal(root, ["run", "-it", "--rm", ...NONE, "--name", "sig1", "busybox", "sh"]);
    try {
      await a.write("trap 'echo got-usr1-$((1+2))' USR1; echo trapped-$((2+2))\n");
      await a.waitFor("trapped-4");
      // the attached CLI: the deno running `run -it` (not script(1), not the monitor)
      const cli = processesUsing(root).filter((p) =>
        p.includes(" run -it ") && !p.includes("__monitor") && !p.includes("script")
      );
      assertEquals(cli.length, 1, cli.join("\n"));
      Deno.kill(Number(cli[0].split(":")[0]), "SIGUSR1");
      await a.write("echo after-$((3+4))\n"); // the shell runs its trap before the next line
      await a.waitFor("got-usr1-3");
      await a.write("exit 0\n");
      assertEquals(await a.done(), 0);
    } finally {
      a.kill();
    }
  });
});

Deno.test("run -it: without a detach its exit code is ours; --rm removes it; --detach-keys", async () => {
  await withSeededRoot(async (root) => {
    const a = inTerminal(root, ["run", "-it", "--rm", ...NONE, "busybox", "sh"]);
    try {
      await a.write("echo first-$((1+1))\n");
      await a.waitFor("first-2");
      await a.write("exit 5\n");
      assertEquals(await a.done(), 5);
      assert(!a.out().includes("read escape sequence"), a.out());
    } finally {
      a.kill();
    }
    assertEquals(containerIds(root), [], "--rm: removed when it ended");
    const b = inTerminal(root, [
      "run",
      "-it",
      "--rm",
      "--detach-keys",
      "ctrl-x,x",
      ...NONE,
      "--name",
      "it2",
      "busybox",
      "sh",
    ]);
    try {
      await b.write("echo keys-$((3*3))\n");
      await b.waitFor("keys-9");
      await b.write("\x10\x11echo not-detached-$((4*4))\n"); // the default keys are ordinary input
      await b.waitFor("not-detached-16");
      await b.write("\x18x");
      assertEquals(await b.done(), 0);
      assertStringIncludes(b.out(), "read escape sequence");
    } finally {
      b.kill();
    }
    const id = await idOf(root, "it2");
    assertEquals(stateOf(root, id).status, "running");
    await ok(root, ["stop", "-t", "1", "it2"]);
    await until("--rm removes it after stop", () => containerIds(root).length === 0, 20_000);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("run -it: a command that ends at once: its output and exit code arrive, --rm removes it", async () => {
  await withSeededRoot(async (root) => {
    // our window size reaches the monitor as the pty closes: that race must not cost the exit code
    for (const code of [1, 2, 3]) {
      const a = inTerminal(root, [
        "run",
        "-it",
        "--rm",
        ...NONE,
        "busybox",
        "sh",
        "-c",
        `echo quick-$((${code}*11)); exit ${code}`,
      ]);
      try {
        assertEquals(await a.done(), code, a.out());
        assertStringIncludes(a.out(), `quick-${code * 11}`);
      } finally {
        a.kill();
      }
    }
    assertEquals(containerIds(root), []);
  });
});

Deno.test("start -ai: detaches likewise (exit 0), stop ends it; again, its exit code", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, ["create", "-it", ...NONE, "--name", "s1", "busybox", "sh"])).stdout
      .trim();
    const a = inTerminal(root, ["start", "-ai", "s1"]);
    try {
      await a.write("echo started-$((5*5))\n");
      await a.waitFor("started-25");
      await a.write("\x10\x11");
      assertEquals(await a.done(), 0);
      assertStringIncludes(a.out(), "read escape sequence");
    } finally {
      a.kill();
    }
    assertEquals(stateOf(root, id).status, "running");
    await ok(root, ["stop", "-t", "1", "s1"]);
    assertEquals(stateOf(root, id).status, "exited");
    const b = inTerminal(root, ["start", "-ai", "--detach-keys", "ctrl-x,x", "s1"]);
    try {
      await b.write("echo again-$((7*6))\n");
      await b.waitFor("again-42");
      await b.write("exit 6\n");
      assertEquals(await b.done(), 6);
    } finally {
      b.kill();
    }
    assertEquals((await ok(root, ["inspect", "-f", "{{.State.ExitCode}}", "s1"])).stdout, "6\n");
    await ok(root, ["rm", id]);
    assertNoLeaks(root, [id]);
  });
});

Deno.test("--detach-keys: docker's refusal (run 125 before creating, start -a / exec 1, create: no flag)", async () => {
  await withSeededRoot(async (root) => {
    const run = await tsbox(root, ["run", "--detach-keys", "ctrl-1", ...NONE, "busybox", "true"]);
    assertEquals([run.code, run.stderr], [125, "tsbox: Invalid detach keys (ctrl-1) provided\n"]);
    assertEquals(containerIds(root), [], "nothing was created");
    await ok(root, ["create", ...NONE, "--name", "c1", "busybox", "true"]);
    const start = await tsbox(root, ["start", "-a", "--detach-keys", "ctrl-1", "c1"]);
    assertEquals([start.code, start.stderr], [
      1,
      "Error response from daemon: Invalid detach keys (ctrl-1) provided\n",
    ]);
    await ok(root, ["run", "-d", ...NONE, "--name", "e1", "busybox", "sleep", "30"]);
    const exec = await tsbox(root, ["exec", "--detach-keys", "ab", "e1", "true"]);
    assertEquals([exec.code, exec.stderr], [
      1,
      "Error response from daemon: Invalid escape keys (ab) provided\n",
    ]);
    await ok(root, ["exec", "--detach-keys", "ctrl-x,x", "e1", "true"]);
    const create = await tsbox(root, ["create", "--detach-keys", "ctrl-x", "busybox"]);
    assertEquals(create.code, 125);
    assertStringIncludes(create.stderr, "unknown flag: --detach-keys");
  });
});

Deno.test("rm: the socket of an attached start whose CLI was killed goes with the container; a live CLI's stays", () =>
  withSeededRoot(async (root) => {
    const id = (await ok(root, ["create", ...NONE, "busybox", "true"])).stdout.trim();
    const dir = `${root}/attach`;
    Deno.mkdirSync(dir, { recursive: true });
    // a CLI killed while it listened (pid 2^22+1 is above pid_max: never a live process)
    const stale = `${dir}/${id.slice(0, 12)}-4194305.cli.sock`;
    const alive = `${dir}/${id.slice(0, 12)}-${Deno.pid}.cli.sock`;
    const other = `${dir}/000000000000-4194305.cli.sock`;
    for (const p of [stale, alive, other]) Deno.writeTextFileSync(p, "");
    await ok(root, ["rm", id]);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, [
      `000000000000-4194305.cli.sock`,
      `${id.slice(0, 12)}-${Deno.pid}.cli.sock`,
    ]);
  }));
