/**
 * docker's exit codes and one-line messages for failures: 1 for a failed
 * command other than run/create/start, 125 for flag errors everywhere and
 * for run/create's own failures; no message says the same thing twice.
 * Runs as root (no container is started).
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { freePort } from "../helpers/registry.ts";

const CASES: [string[], number, RegExp][] = [
  [["rmi", "nosuch:1"], 1, /No such image: nosuch:1/],
  [["tag", "nosuch:1", "x:1"], 1, /No such image/],
  [["save", "-o", "/dev/null", "nosuch:1"], 1, /No such image/],
  [["image", "inspect", "nosuch:1"], 1, /No such image/],
  [
    ["load", "-i", "/nonexistent/x.tar"],
    1,
    /^tsbox: open \/nonexistent\/x.tar: no such file or directory$/,
  ],
  [
    ["import", "/nonexistent/x.tar"],
    1,
    /^tsbox: open \/nonexistent\/x.tar: no such file or directory$/,
  ],
  [["network", "rm", "nosuch"], 1, /network nosuch not found/],
  [["network", "inspect", "nosuch"], 1, /network nosuch not found/],
  [["network", "create", "--driver", "overlay", "nw1"], 1, /unsupported network driver/],
  [["volume", "rm", "nosuch"], 1, /No such volume: nosuch/],
  [["volume", "create", "a", "b"], 1, /at most 1 argument/],
  [["kill", "-s", "BOGUS", "nosuch"], 1, /invalid signal: BOGUS|No such container/],
  [["stats", "--no-stream", "nosuch"], 1, /No such container: nosuch/],
  [["ps", "extra"], 1, /accepts no arguments/],
  [["ps", "-f", "x=1"], 1, /^tsbox: invalid filter 'x'$/],
  [["nosuchcommand"], 1, /unknown command/],
  [["ps", "--nope"], 125, /unknown flag: --nope/],
  [["ps", "-n", "x"], 125, /invalid argument "x" for "-n, --last" flag/],
  [["stop", "-t", "x", "c1"], 125, /invalid argument "x" for "-t, --time" flag/],
  [["images", "--bogus"], 125, /unknown flag/],
  [
    ["run", "--env-file", "/nonexistent/env", "busybox"],
    125,
    /^tsbox: open \/nonexistent\/env: no such file or directory$/,
  ],
  [["run", "--pull", "never", "nosuch:1"], 125, /No such image: nosuch:1/],
  [["create", "--pull", "never", "nosuch:1"], 125, /No such image: nosuch:1/],
  [["container", "create", "--pull", "never", "nosuch:1"], 125, /No such image: nosuch:1/],
];

Deno.test("exit codes: 1 outside run/create/start, 125 for flags and run/create; one line each", () =>
  withRoot(async (root) => {
    for (const [args, code, re] of CASES) {
      const r = await tsbox(root, args);
      assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("hint: "));
      assertMatch(lines[lines.length - 1], re, args.join(" "));
      assert(!/\(os error \d+\)/.test(r.stderr), `no raw OS error text: ${r.stderr}`);
    }
  }));

Deno.test("pull/login: a registry port that refuses connections fails at once with exit 1", () =>
  withRoot(async (root) => {
    const host = `127.0.0.1:${freePort()}`;
    for (
      const args of [["pull", `${host}/x/y:1`], ["login", "-u", "a", "--password-stdin", host]]
    ) {
      const r = await tsbox(root, args, { stdin: "pw\n" });
      assertEquals(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assertMatch(r.stderr, /cannot reach registry 127\.0\.0\.1:\d+ .*refused/i);
      assert(!/retrying/.test(r.stdout + r.stderr), `no retries: ${r.stdout}${r.stderr}`);
    }
  }));
