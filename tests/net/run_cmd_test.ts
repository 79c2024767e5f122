/**
 * lib/net/run_cmd.ts: host tools run through posix_spawn and raw pipes —
 * the lookup on the plugin PATH, stdin, stdout, stderr and the exit code
 * as Deno.Command gave them, a missing tool as a NetworkError, and no
 * Deno.Command on the way (it loads Deno's process module in a bridged
 * start's runtime).
 */

import { assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { runCmd, runOk } from "../../lib/net/run_cmd.ts";
import { NetworkError } from "../../lib/errors.ts";

Deno.test("runCmd: found on the plugin PATH, stdin in, stdout and stderr out, the exit code", async () => {
  const r = await runCmd("sh", ["-c", 'read l; echo "got $l"; echo oops >&2; exit 3'], "line\n");
  assertEquals(r, { code: 3, stdout: "got line\n", stderr: "oops" });
  assertEquals(await runOk("cat", [], "abc"), "abc");
  // an absolute path is taken as it is; the tool gets the plugin PATH
  assertStringIncludes(await runOk("/bin/sh", ["-c", 'echo "$PATH"']), "/usr/sbin");
});

Deno.test("runCmd: outputs larger than a pipe holds, on both streams (a big host's iptables-save)", async () => {
  const r = await runCmd("sh", [
    "-c",
    "head -c 1000000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2",
  ]);
  assertEquals([r.code, r.stdout.length, r.stderr.length], [0, 1_000_000, 200_000]);
});

Deno.test("runOk: a non-zero exit is a NetworkError with the command and its stderr", async () => {
  const err = await assertRejects(
    () => runOk("sh", ["-c", "echo bad rule >&2; exit 1"]),
    NetworkError,
  );
  assertStringIncludes(err.message, "sh -c echo bad rule >&2; exit 1: bad rule");
});

Deno.test("runCmd: a tool that is not installed is a NetworkError naming it", async () => {
  const err = await assertRejects(() => runCmd("tsbox-no-such-tool", []), NetworkError);
  assertEquals(err.message, "tsbox-no-such-tool not found");
  await assertRejects(() => runCmd("/nonexistent/iptables", []), NetworkError, "not found");
});

Deno.test("runCmd does not use Deno.Command", async () => {
  const real = Deno.Command;
  // deno-lint-ignore no-explicit-any
  (Deno as any).Command = function () {
    throw new Error("Deno.Command used");
  };
  try {
    assertEquals((await runCmd("true", [])).code, 0);
  } finally {
    // deno-lint-ignore no-explicit-any
    (Deno as any).Command = real;
  }
});
