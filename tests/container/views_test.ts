/**
 * Pure pieces of the lifecycle commands: json log writer/reader, time
 * arguments, --format templates, ps columns, id/name lookup. No root.
 */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { JsonLogWriter, parseLogLines } from "../../lib/container/log_file.ts";
import { parseTimeArg, selectEntries } from "../../lib/container/logs.ts";
import { ellipsis, goTime, parseFilters, statusText } from "../../lib/container/ps_view.ts";
import { findContainer, NoSuchContainer } from "../../lib/container/lookup.ts";
import { pathsFor } from "../../lib/paths.ts";
import { ContainerError, FilterError, FlagError, UsageError } from "../../lib/errors.ts";
import type { LiveView } from "../../lib/container/live.ts";

const enc = new TextEncoder();

Deno.test("JsonLogWriter: splits at newlines per stream, keeps partial lines until flush", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const w = new JsonLogWriter(`${dir}/log`);
    w.write("stdout", enc.encode("a\nb"));
    w.write("stderr", enc.encode("E\n"));
    w.write("stdout", enc.encode("c\n\n"));
    w.write("stdout", enc.encode("tail"));
    w.close();
    const got = parseLogLines(Deno.readTextFileSync(`${dir}/log`));
    assertEquals(got.map((e) => [e.stream, e.log]), [
      ["stdout", "a\n"],
      ["stderr", "E\n"],
      ["stdout", "bc\n"],
      ["stdout", "\n"],
      ["stdout", "tail"],
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("JsonLogWriter: a line over 16 KiB is cut into several entries", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const w = new JsonLogWriter(`${dir}/log`);
    w.write("stdout", enc.encode("x".repeat(40_000) + "\n"));
    w.close();
    const got = parseLogLines(Deno.readTextFileSync(`${dir}/log`));
    assertEquals(got.map((e) => e.log.length), [16384, 16384, 40_000 - 32768 + 1]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parseLogLines: a torn last line is skipped", () => {
  const text = '{"log":"a\\n","stream":"stdout","time":"t"}\n{"log":"b';
  assertEquals(parseLogLines(text).map((e) => e.log), ["a\n"]);
});

Deno.test("parseTimeArg: durations, unix seconds, RFC 3339", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  assertEquals(parseTimeArg("10m", now), now - 600_000);
  assertEquals(parseTimeArg("1h30m", now), now - 5_400_000);
  assertEquals(parseTimeArg("1700000000.5", now), 1_700_000_000_500);
  assertEquals(parseTimeArg("2024-05-01T11:00:00Z", now), now - 3_600_000);
  assertEquals(parseTimeArg("2024-05-01", now), Date.parse("2024-05-01T00:00:00Z"));
  assertThrows(() => parseTimeArg("yesterday", now), UsageError);
});

Deno.test("selectEntries: since/until then tail", () => {
  const e = (t: string, log: string) => ({ stream: "stdout" as const, time: t, log });
  const all = [
    e("2024-01-01T00:00:01Z", "1"),
    e("2024-01-01T00:00:02Z", "2"),
    e("2024-01-01T00:00:03Z", "3"),
  ];
  const since = Date.parse("2024-01-01T00:00:02Z");
  assertEquals(selectEntries(all, { follow: false, timestamps: false, since }).map((x) => x.log), [
    "2",
    "3",
  ]);
  assertEquals(
    selectEntries(all, { follow: false, timestamps: false, tail: 1 }).map((x) => x.log),
    ["3"],
  );
  assertEquals(selectEntries(all, { follow: false, timestamps: false, tail: 0 }), []);
});

Deno.test("ps columns: ellipsis, Go time, status text", () => {
  assertEquals(ellipsis("sh -c 'echo hello world'", 20), "sh -c 'echo hello w…");
  assertEquals(ellipsis("short", 20), "short");
  assertEquals(goTime("2024-05-01T12:03:04.567Z"), "2024-05-01 12:03:04 +0000 UTC");
  const now = Date.parse("2024-05-01T12:00:00Z");
  const v = (over: Partial<LiveView>): LiveView => ({
    status: "running",
    running: true,
    starting: false,
    pid: 1,
    exitCode: 0,
    oomKilled: false,
    error: "",
    ...over,
  });
  assertEquals(statusText(v({ startedAt: "2024-05-01T11:59:55Z" }), now), "Up 5 seconds");
  assertEquals(
    statusText(v({ status: "exited", exitCode: 3, finishedAt: "2024-05-01T11:58:00Z" }), now),
    "Exited (3) 2 minutes ago",
  );
  assertEquals(statusText(v({ status: "created" }), now), "Created");
});

Deno.test("parseFilters: docker's keys; bad keys and statuses are refused", () => {
  const f = parseFilters(["status=exited", "name=web", "status=created"]);
  assertEquals(f.get("status"), ["exited", "created"]);
  assertThrows(() => parseFilters(["color=red"]), FilterError, "invalid filter 'color'");
  assertThrows(() => parseFilters(["status=sleeping"]), FilterError);
  assertThrows(() => parseFilters(["exited=x"]), FilterError);
  assertThrows(() => parseFilters(["noequals"]), FlagError, "bad format of filter");
});

Deno.test("findContainer: id, name, unique prefix; ambiguous and unknown fail with exit 1", () => {
  const root = Deno.makeTempDirSync();
  try {
    const paths = pathsFor(root);
    const mk = (id: string, name: string) => {
      Deno.mkdirSync(`${paths.containers}/${id}`, { recursive: true });
      Deno.writeTextFileSync(
        `${paths.containers}/${id}/container.json`,
        JSON.stringify({ id, name }),
      );
    };
    const a = "ab" + "0".repeat(62);
    const b = "ac" + "1".repeat(62);
    mk(a, "web");
    mk(b, "ab"); // a name that is also a prefix of another id: the name wins, as in docker
    assertEquals(findContainer(paths, a).config.name, "web");
    assertEquals(findContainer(paths, "/web").config.id, a);
    assertEquals(findContainer(paths, "ab").config.id, b);
    assertEquals(findContainer(paths, "ac1").config.id, b);
    const amb = assertThrows(() => findContainer(paths, "a"), ContainerError);
    assertEquals([amb.message, amb.exitCode], ["multiple IDs found with provided prefix: a", 1]);
    const none = assertThrows(() => findContainer(paths, "zz"), NoSuchContainer);
    assertEquals([none.message, none.exitCode], ["No such container: zz", 1]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
