/**
 * lib/spawn_output.ts, Deno.Command's output() for conmon and the CNI
 * plugins without Deno's process module: stdin in, both outputs whole,
 * exit codes and signals, the environment (added to or replaced), the
 * working directory, the timeout, and a program that never reads its
 * input. No root needed.
 */

import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { spawnOutput } from "../../lib/spawn_output.ts";
import { SyscallError } from "../../lib/errors.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sh = (script: string, opts = {}) => spawnOutput("/bin/sh", ["-c", script], opts);

Deno.test("spawnOutput: stdin in, stdout and stderr whole, the exit code", async () => {
  // more than a pipe holds on stderr: both are read while they are written
  const r = await sh(`cat; echo err >&2; head -c 200000 /dev/zero | tr '\\0' x >&2; exit 7`, {
    stdin: new TextEncoder().encode("hello\n"),
  });
  assertEquals([r.code, r.signal, r.timedOut], [7, undefined, false]);
  assertEquals(text(r.stdout), "hello\n");
  assertEquals(text(r.stderr), `err\n${"x".repeat(200_000)}`);
});

Deno.test("spawnOutput: the environment added to ours, or alone; the working directory", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-spawn-out-" });
  try {
    const added = await sh(`echo "$TSBOX_X:$HOME"; pwd`, { env: { TSBOX_X: "1" }, cwd: dir });
    assertEquals(
      text(added.stdout),
      `1:${Deno.env.get("HOME") ?? ""}\n${Deno.realPathSync(dir)}\n`,
    );
    const alone = await sh(`echo "$TSBOX_X:$HOME"`, { env: { TSBOX_X: "2" }, clearEnv: true });
    assertEquals(text(alone.stdout), "2:\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spawnOutput: a signal is 128+N; a timeout kills; unread stdin is no error", async () => {
  const killed = await sh("kill -TERM $$");
  assertEquals([killed.code, killed.signal], [128 + 15, 15]);
  const slow = await sh("exec sleep 30", { timeoutMs: 100 });
  assertEquals([slow.code, slow.timedOut], [128 + 9, true]);
  const deaf = await sh("exec 0<&-; echo ok", { stdin: new Uint8Array(60_000) });
  assertEquals([deaf.code, text(deaf.stdout)], [0, "ok\n"]);
  await assertRejects(() => sh("true", { stdin: new Uint8Array(70_000) }), RangeError);
  await assertRejects(() => spawnOutput("/nonexistent/tsbox-spawn", []), SyscallError);
});

Deno.test("spawnOutput: a timeout by pidfd touches no timer global (the first read loads node:timers)", async () => {
  // a fresh process whose timer globals throw: a run with a timeout, and one timed out, still work
  const mod = new URL("../../lib/spawn_output.ts", import.meta.url).href;
  const script = `
    for (const k of ["setTimeout", "clearTimeout", "setInterval", "clearInterval"]) {
      Object.defineProperty(globalThis, k, { get() { throw new Error(k + " was read"); } });
    }
    const { spawnOutput } = await import(${JSON.stringify(mod)});
    const ok = await spawnOutput("/bin/sh", ["-c", "echo hi"], { timeoutMs: 5000 });
    const slow = await spawnOutput("/bin/sh", ["-c", "exec sleep 5"], { timeoutMs: 100 });
    console.log(JSON.stringify([new TextDecoder().decode(ok.stdout), ok.timedOut, slow.timedOut]));
  `;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(text(r.stderr), "");
  assertEquals(JSON.parse(text(r.stdout)), ["hi\n", false, true]);
});
