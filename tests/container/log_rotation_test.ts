/**
 * `--log-driver` / `--log-opt` and json-file rotation: at most max-file
 * files of about max-size each, `logs` reading the newest lines across
 * them, the none driver refusing `logs`. The writer tests need no root;
 * the CLI test runs one container (network none) and removes it.
 */

import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseLogConfig, rotationOf } from "../../lib/container/log_config.ts";
import { JsonLogWriter, logFiles, parseLogLines } from "../../lib/container/log_file.ts";
import { pathsFor } from "../../lib/paths.ts";
import { UsageError } from "../../lib/errors.ts";
import { cli, ok, withSeededRoot } from "./_lifecycle.ts";
import { tsbox } from "../helpers/tsbox.ts";

Deno.test("parseLogConfig: json-file, local and none; options checked, never ignored", () => {
  assertEquals(parseLogConfig(undefined, []), { Type: "json-file", Config: {} });
  const c = parseLogConfig("json-file", ["max-size=10k", "max-file=3"]);
  assertEquals(rotationOf(c), { maxSize: 10_000, maxFile: 3 });
  assertEquals(rotationOf(parseLogConfig("local", [])), { maxSize: 20e6, maxFile: 5 });
  assertEquals(rotationOf(parseLogConfig("json-file", ["max-size=1.5m"])), {
    maxSize: 1_500_000,
    maxFile: 1,
  });
  assertEquals(rotationOf(parseLogConfig("none", [])), undefined);
  for (
    const [driver, opts, msg] of [
      ["syslog", [], "not supported"],
      ["json-file", ["compress=true"], "unknown log opt 'compress'"],
      ["none", ["max-size=1k"], "unknown log opt"],
      ["json-file", ["max-size=lots"], "invalid value for max-size"],
      ["json-file", ["max-size=1k", "max-file=0"], "invalid value for max-file"],
      ["json-file", ["max-file=3"], "max-file cannot be set when max-size is not set"],
      ["json-file", ["max-size"], "expected KEY=VALUE"],
    ] as [string, string[], string][]
  ) {
    assertThrows(() => parseLogConfig(driver, opts), UsageError, msg);
  }
});

Deno.test("JsonLogWriter: rotates at max-size, keeps max-file files, newest lines last", () => {
  const root = Deno.makeTempDirSync();
  try {
    const id = "a".repeat(64);
    const dir = `${root}/containers/${id}`;
    Deno.mkdirSync(dir, { recursive: true });
    const paths = pathsFor(root);
    const w = new JsonLogWriter(`${dir}/${id}-json.log`, { maxSize: 2000, maxFile: 3 });
    const enc = new TextEncoder();
    for (let i = 0; i < 300; i++) w.write("stdout", enc.encode(`line-${i}\n`));
    w.close();
    const files = logFiles(paths, id);
    assertEquals(files.map((f) => f.slice(dir.length + 1)), [
      `${id}-json.log.2`,
      `${id}-json.log.1`,
      `${id}-json.log`,
    ]);
    for (const f of files) assert(Deno.statSync(f).size <= 2000, `${f} over max-size`);
    const lines = files.flatMap((f) => parseLogLines(Deno.readTextFileSync(f))).map((e) => e.log);
    assertEquals(lines[lines.length - 1], "line-299\n");
    const first = Number(lines[0].slice(5));
    assertEquals(lines, Array.from({ length: 300 - first }, (_, i) => `line-${first + i}\n`));

    const one = new JsonLogWriter(`${root}/single.log`, { maxSize: 500, maxFile: 1 });
    for (let i = 0; i < 100; i++) one.write("stderr", enc.encode(`e${i}\n`));
    one.close();
    const kept = parseLogLines(Deno.readTextFileSync(`${root}/single.log`));
    assert(Deno.statSync(`${root}/single.log`).size <= 500);
    assertEquals(kept[kept.length - 1].log, "e99\n");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("run --log-opt max-size=10k,max-file=3: at most 3 files; logs shows the newest lines", () =>
  withSeededRoot(async (root) => {
    const script = "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done";
    const id = (await ok(
      root,
      cli(
        "run -d --network none --name chatty --log-opt max-size=10k,max-file=3 busybox sh -c",
        script,
      ),
    )).stdout.trim();
    assertEquals((await ok(root, cli("wait chatty"))).stdout, "0\n");
    const files = [...Deno.readDirSync(`${root}/containers/${id}`)].map((e) => e.name)
      .filter((n) => n.startsWith(`${id}-json.log`));
    assertEquals(files.length, 3, files.join(" "));
    const out = (await ok(root, cli("logs chatty"))).stdout.trim().split("\n");
    assertEquals(out[out.length - 1], "line-2999");
    const first = Number(out[0].slice(5));
    assert(first > 0, "the oldest lines were rotated away");
    assertEquals(out, Array.from({ length: 3000 - first }, (_, i) => `line-${first + i}`));
    assertEquals((await ok(root, cli("logs --tail 2 chatty"))).stdout, "line-2998\nline-2999\n");
    const lc = JSON.parse(
      (await ok(root, cli("inspect -f", "{{json .HostConfig.LogConfig}}", "chatty"))).stdout,
    );
    assertEquals(lc, { Type: "json-file", Config: { "max-size": "10k", "max-file": "3" } });

    await ok(root, cli("run --network none --name quiet --log-driver none busybox echo hi"));
    const none = await tsbox(root, cli("logs quiet"));
    assertEquals(none.code, 1);
    assert(none.stderr.includes("configured logging driver does not support reading"), none.stderr);
    for (const bad of ["--log-driver syslog", "--log-opt bogus=1"]) {
      const r = await tsbox(root, cli(`create ${bad} busybox`));
      assertEquals(r.code, 125, `${bad}: ${r.stderr}`);
    }
  }));
