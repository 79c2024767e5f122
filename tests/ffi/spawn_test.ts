/**
 * ffi/spawn.ts's spawnWithStdio, the init's spawn: stdio as asked (a pipe
 * each way, /dev/null, or ours), the cwd, the exit status, the child's
 * execve error as a SyscallError — and none of our fds left open, by the
 * child or by us, whichever way it goes.
 */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { spawnWithStdio, waitChild } from "../../ffi/spawn.ts";
import { closeFd, readAsync, writeAll } from "../../ffi/fds.ts";
import { SyscallError } from "../../lib/errors.ts";

const ENV = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"];

function openFds(): string[] {
  return [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name).sort();
}

/** Our fds above 3 that a child inherits (not close-on-exec): the test runner's own caller's. */
function inheritable(): string[] {
  return openFds().filter((fd) => {
    if (Number(fd) <= 3) return false;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`));
      return flags !== null && (parseInt(flags[1], 8) & 0o2000000) === 0;
    } catch {
      return false; // the directory listing's own fd, closed meanwhile
    }
  });
}

async function readAll(fd: number): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  for (let n; (n = await readAsync(fd, buf)) !== null;) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  closeFd(fd);
  return text;
}

Deno.test("spawnWithStdio: pipes each way, the cwd, the exit code; none of our fds in the child", async () => {
  const before = openFds();
  const { pid, ends } = spawnWithStdio(
    "/bin/sh",
    [
      "sh",
      "-c",
      'read line; echo "got $line in $(pwd)"; echo err >&2; exit 3',
    ],
    ENV,
    ["piped", "piped", "piped"],
    "/tmp",
  );
  writeAll(ends[0]!, new TextEncoder().encode("hello\n"));
  closeFd(ends[0]!);
  const [out, err, st] = await Promise.all([readAll(ends[1]!), readAll(ends[2]!), waitChild(pid)]);
  assertEquals([out, err], ["got hello in /tmp\n", "err\n"]);
  assertEquals(st, { code: 3 });
  // 0-2, ls's own directory fd and what we got from our caller: none of the pipes' other ends
  const ls = spawnWithStdio("/bin/ls", ["ls", "/proc/self/fd"], ENV, ["null", "piped", "null"]);
  const seen = (await readAll(ls.ends[1]!)).trim().split("\n").sort();
  assertEquals(seen, ["0", "1", "2", "3", ...inheritable()].sort());
  assertEquals(await waitChild(ls.pid), { code: 0 });
  assertEquals(openFds(), before);
});

Deno.test("spawnWithStdio: null reads EOF and swallows output; inherit shares ours", async () => {
  const before = openFds();
  const { pid, ends } = spawnWithStdio(
    "/bin/sh",
    [
      "sh",
      "-c",
      "cat; echo gone; echo out >&2; exec 2>&-; kill -TERM $$",
    ],
    ENV,
    ["null", "null", "piped"],
  );
  assertEquals(ends[0], undefined);
  assertEquals(ends[1], undefined);
  assertEquals(await readAll(ends[2]!), "out\n");
  assertEquals(await waitChild(pid), { signal: 15 });
  const inherit = spawnWithStdio("/bin/true", ["true"], ENV, ["inherit", "inherit", "inherit"]);
  assertEquals(inherit.ends.filter((e) => e !== undefined), []);
  assertEquals(await waitChild(inherit.pid), { code: 0 });
  assertEquals(openFds(), before);
});

Deno.test("spawnWithStdio: the child's execve error is thrown, and no pipe is left open", () => {
  const before = openFds();
  const err = assertThrows(
    () => spawnWithStdio("/nonexistent/x", ["x"], ENV, ["piped", "piped", "null"]),
    SyscallError,
  );
  assertEquals(err.errnoName, "ENOENT");
  assertThrows(
    () => spawnWithStdio("/tmp", ["x"], ENV, ["null", "null", "null"]),
    SyscallError,
    "EACCES",
  );
  assertEquals(openFds(), before);
});
