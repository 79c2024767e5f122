import { assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import {
  expandEnv,
  parseEnvFile,
  parseRunArgs,
  RUN_FLAGS,
  RUN_USAGE,
} from "../../lib/cli/run_flags.ts";
import { UsageError } from "../../lib/errors.ts";
import { buildProcess } from "../../lib/container/process.ts";

Deno.test("parseRunArgs: flags stop at IMAGE; combined and attached short flags", () => {
  const r = parseRunArgs([
    "-it",
    "--rm",
    "-eA=1",
    "-e",
    "B=2",
    "-v",
    "/h:/c",
    "-v",
    "x:/y",
    "-p80:80",
    "busybox",
    "sh",
    "-c",
    "ls -l",
  ], {});
  assertEquals(r.spec.tty, true);
  assertEquals(r.spec.interactive, true);
  assertEquals(r.spec.autoRemove, true);
  assertEquals(r.spec.env, ["A=1", "B=2"]);
  assertEquals(r.spec.volumes, ["/h:/c", "x:/y"]);
  assertEquals(r.spec.publish, ["80:80"]);
  assertEquals(r.spec.image, "busybox");
  assertEquals(r.spec.cmd, ["sh", "-c", "ls -l"]);
  assertEquals(r.spec.network, "bridge");
});

Deno.test("parseRunArgs: flags after IMAGE belong to the command", () => {
  const r = parseRunArgs(["--name=web", "-m", "32m", "img", "--rm", "-v"], {});
  assertEquals(r.spec.cmd, ["--rm", "-v"]);
  assertEquals(r.spec.autoRemove, false);
  assertEquals(r.spec.name, "web");
  assertEquals(r.spec.resources, { memory: "32m" });
});

Deno.test("parseRunArgs: errors are UsageErrors", () => {
  assertStringIncludes(
    assertThrows(() => parseRunArgs(["--nope", "img"], {}), UsageError).message,
    "unknown flag: --nope",
  );
  assertStringIncludes(
    assertThrows(() => parseRunArgs(["-X"], {}), UsageError).message,
    "unknown shorthand flag",
  );
  assertStringIncludes(
    assertThrows(() => parseRunArgs(["--name"], {}), UsageError).message,
    "flag needs an argument",
  );
  assertStringIncludes(
    assertThrows(() => parseRunArgs(["-d"], {}), UsageError).message,
    "requires at least 1 argument",
  );
  assertThrows(() => parseRunArgs(["--pull", "sometimes", "img"], {}), UsageError);
});

Deno.test("env: env files and host passthrough", () => {
  assertEquals(parseEnvFile("# c\n\nA=1\nB\n  C=x y\n", "f"), ["A=1", "B", "C=x y"]);
  assertThrows(() => parseEnvFile("BAD KEY=1\n", "f"), UsageError);
  assertEquals(expandEnv(["A=1", "HOME", "UNSET"], { HOME: "/root" }), ["A=1", "HOME=/root"]);
});

Deno.test("buildProcess: docker's entrypoint/cmd/env/workdir merge", () => {
  const base = parseRunArgs(["img"], {}).spec;
  const img = {
    Entrypoint: ["/ep"],
    Cmd: ["a"],
    Env: ["PATH=/bin", "X=1"],
    WorkingDir: "/w",
    User: "u",
  };
  assertEquals(buildProcess(base, img).args, ["/ep", "a"]);
  assertEquals(buildProcess({ ...base, cmd: ["b"] }, img).args, ["/ep", "b"]);
  assertEquals(buildProcess({ ...base, entrypoint: "/x" }, img).args, ["/x"]);
  assertEquals(buildProcess({ ...base, entrypoint: "", cmd: ["c"] }, img).args, ["c"]);
  assertEquals(buildProcess({ ...base, env: ["X=2", "Y=3"] }, img).env, [
    "PATH=/bin",
    "X=2",
    "Y=3",
  ]);
  assertEquals(buildProcess(base, { Cmd: ["x"] }).env[0].startsWith("PATH=/usr/local/sbin"), true);
  assertEquals(buildProcess(base, img).cwd, "/w");
  assertEquals(buildProcess(base, img).user, "u");
  assertThrows(() => buildProcess(base, {}), UsageError); // no command at all
  assertThrows(() => buildProcess({ ...base, workdir: "rel" }, img), UsageError);
});

Deno.test("RUN_USAGE: run/create --help lists every flag they accept", () => {
  for (const f of RUN_FLAGS) {
    if (f.name !== "help") assertStringIncludes(RUN_USAGE, `--${f.name}`, f.name);
  }
});
