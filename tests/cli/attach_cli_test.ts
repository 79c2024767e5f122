/**
 * `tsbox attach` to detached containers, through the CLI: a `-dit` shell
 * takes our input through a terminal (script(1) gives the attach a pty),
 * ctrl-p ctrl-q (or --detach-keys) leaves it running with docker's "read
 * escape sequence" and exit 1, its exit ends the attach with its code; a
 * non-tty container's stdout and stderr arrive apart; docker's refusals.
 * Requires root.
 */

import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { DENO, MAIN, tsbox } from "../helpers/tsbox.ts";
import { assertNoLeaks, ok, stateOf, withSeededRoot } from "../container/_lifecycle.ts";

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

/** `tsbox attach …` inside script(1), so it has a terminal (its stdin stays open until it exits). */
function attachInTerminal(root: string, args: string[]): Live {
  const inner = [DENO, "run", "-A", "--quiet", MAIN, "--root", root, "attach", ...args]
    .map((a) => `'${a}'`).join(" ");
  return live(["script", "-qec", inner, "/dev/null"]);
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
    assertStringIncludes(keys.stderr, "invalid detach keys");
    const missing = await tsbox(root, ["attach", "nosuch"]);
    assertEquals([missing.code, missing.stderr], [1, "tsbox: No such container: nosuch\n"]);
  });
});
