/**
 * log_pump.ts's pumpPipes: one poll over the init's stdout and stderr
 * pipes, each chunk logged (and teed) under its stream in the order the
 * kernel shows it, each pipe closed at its EOF, and nothing left open.
 */

import { assertEquals } from "../helpers/assert.ts";
import { pumpPipes } from "../../lib/container/log_pump.ts";
import { JsonLogWriter } from "../../lib/container/log_file.ts";
import { closeFd, pipePair, writeAll } from "../../ffi/fds.ts";

const fds = () => [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name).sort();

Deno.test("pumpPipes: stdout and stderr logged apart, in order, each closed at its EOF", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-pump-" });
  try {
    const before = fds();
    const [outR, outW] = pipePair();
    const [errR, errW] = pipePair();
    const log = new JsonLogWriter(`${dir}/log.json`);
    const teed: string[] = [];
    const pump = pumpPipes(
      [{ fd: outR, name: "stdout" }, { fd: errR, name: "stderr" }],
      log,
      (s, b) => void teed.push(`${s}:${new TextDecoder().decode(b)}`),
    );
    const say = async (fd: number, text: string) => {
      writeAll(fd, new TextEncoder().encode(text));
      await new Promise((r) => setTimeout(r, 50)); // the pump reads it before the next write
    };
    await say(outW, "out1\n");
    await say(errW, "err1\n");
    closeFd(errW); // stderr ends first; stdout goes on
    await say(outW, "out2\n");
    closeFd(outW);
    await pump;
    log.close();
    const lines = Deno.readTextFileSync(`${dir}/log.json`).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(lines.map((l) => [l.stream, l.log]), [
      ["stdout", "out1\n"],
      ["stderr", "err1\n"],
      ["stdout", "out2\n"],
    ]);
    assertEquals(teed, ["stdout:out1\n", "stderr:err1\n", "stdout:out2\n"]);
    assertEquals(fds(), before, "both read ends closed by the pump");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
