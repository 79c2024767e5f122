/**
 * JsonLogWriter never throws on a write error (a full disk): it drops the
 * entry, keeps the first error, and resumes on a fresh line.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { JsonLogWriter, parseLogLines } from "../../lib/container/log_file.ts";

const enc = new TextEncoder();

Deno.test("JsonLogWriter: ENOSPC (/dev/full) drops entries and records the error, never throws", () => {
  const log = new JsonLogWriter("/dev/full");
  log.write("stdout", enc.encode("one\n"));
  log.write("stderr", enc.encode("two\nthree"));
  log.close(); // flushes "three": a third failed write
  assertEquals(log.dropped, 3);
  assert(log.failure?.includes("No space left on device"), log.failure);
});

Deno.test("JsonLogWriter: a healthy file has no failure", () => {
  const path = Deno.makeTempFileSync();
  try {
    const log = new JsonLogWriter(path);
    log.write("stdout", enc.encode("a\nb\n"));
    log.close();
    assertEquals(log.failure, undefined);
    assertEquals(parseLogLines(Deno.readTextFileSync(path)).map((e) => e.log), ["a\n", "b\n"]);
  } finally {
    Deno.removeSync(path);
  }
});
