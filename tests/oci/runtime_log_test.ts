import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { readCalls, verbOf, writeLoggingWrapper } from "./_runtime_log.ts";
import { hostPathsCreatedAfter, removeCgroupTree } from "./_cleanup.ts";

/** A stand-in runtime: prints its argv, writes a pid file when asked, exits with $FAKE_RC. */
function fakeRuntime(dir: string): string {
  const p = join(dir, "fake-runtime");
  Deno.writeTextFileSync(
    p,
    `#!/bin/sh
pidfile=""; prev=""
for a in "$@"; do [ "$prev" = --pid-file ] && pidfile="$a"; prev="$a"; done
[ -n "$pidfile" ] && printf 4242 > "$pidfile"
case " $* " in *" update "*) cat > "$(dirname "$0")/update-stdin";; esac
echo "fake: $*"
exit "\${FAKE_RC:-0}"
`,
  );
  Deno.chmodSync(p, 0o755);
  return p;
}

async function call(
  wrapper: string,
  args: string[],
  opts: { cwd?: string; stdin?: string; rc?: number } = {},
) {
  const child = new Deno.Command(wrapper, {
    args,
    cwd: opts.cwd,
    env: { FAKE_RC: String(opts.rc ?? 0) },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("writeLoggingWrapper: create is logged with argv, cwd, config.json, pid file and exit", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-logtest-" });
  try {
    const bundle = join(dir, "bundle");
    Deno.mkdirSync(bundle);
    Deno.writeTextFileSync(join(bundle, "config.json"), '{"ociVersion":"1.0.2"}');
    const log = writeLoggingWrapper(join(dir, "log"), fakeRuntime(dir), "runc");
    assertEquals(log.wrapper, join(dir, "log", "bin", "runc"));
    const r = await call(log.wrapper, [
      "--root",
      "/r",
      "--log-format=json",
      "create",
      "--bundle",
      bundle,
      "--pid-file",
      join(dir, "init.pid"),
      "c1",
    ], { cwd: bundle });
    assertEquals(r.code, 0);
    assert(r.stdout.includes("fake: --root /r --log-format=json create"), r.stdout);
    const [c] = readCalls(log);
    assertEquals(verbOf(c), "create");
    assertEquals(c.argv.at(-1), "c1");
    assertEquals(c.cwd, bundle);
    assertEquals(c.exit, 0);
    assertEquals(c.pidFile, "4242");
    assertEquals(c.config, '{"ociVersion":"1.0.2"}');
    assertEquals(c.fds.slice(0, 3).map((f) => f.split(" ")[0]), ["0", "1", "2"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeLoggingWrapper: read verbs keep their stdout and status; update keeps its stdin", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-logtest-" });
  try {
    const runtime = fakeRuntime(dir);
    const log = writeLoggingWrapper(join(dir, "log"), runtime);
    const st = await call(log.wrapper, ["--root", "/r", "state", "c1"], { rc: 1 });
    assertEquals(st.code, 1);
    assertEquals(st.stdout, "fake: --root /r state c1\n");
    const up = await call(log.wrapper, ["update", "--resources", "-", "c1"], {
      stdin: '{"memory":{"limit":1}}',
    });
    assertEquals(up.code, 0);
    const calls = readCalls(log);
    assertEquals(calls.map(verbOf), ["state", "update"]);
    assertEquals(calls[0].exit, 1);
    assertEquals(calls[0].stdout, "fake: --root /r state c1\n");
    assertEquals(calls[1].stdin, '{"memory":{"limit":1}}');
    assertEquals(Deno.readTextFileSync(join(dir, "update-stdin")), '{"memory":{"limit":1}}');
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("verbOf: skips the value of global flags", () => {
  const c = {
    n: 1,
    argv: ["--log", "x", "--log-format", "json", "kill", "id", "9"],
    cwd: "",
    fds: [],
    env: [],
    parent: "",
  };
  assertEquals(verbOf(c), "kill");
});

Deno.test("hostPathsCreatedAfter: removes what appeared, keeps what existed and non-empty dirs", () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-hosttest-" });
  try {
    const old = join(dir, "old");
    Deno.writeTextFileSync(old, "x");
    const restore = hostPathsCreatedAfter([join(dir, "new.json"), join(dir, "busy"), old]);
    Deno.writeTextFileSync(join(dir, "new.json"), "{}");
    Deno.mkdirSync(join(dir, "busy"));
    Deno.writeTextFileSync(join(dir, "busy", "someone-elses"), "");
    assertEquals(restore(), [join(dir, "new.json")]);
    assert(Deno.statSync(old).isFile);
    assert(Deno.statSync(join(dir, "busy")).isDirectory);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("removeCgroupTree: refuses the hierarchy root", () => {
  let msg = "";
  try {
    removeCgroupTree("/");
  } catch (err) {
    msg = err instanceof Error ? err.message : String(err);
  }
  assert(msg.includes("refusing cgroup path"), msg);
});
