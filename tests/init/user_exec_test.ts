import { assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { resolveUser } from "../../lib/init/user.ts";
import { findExecutable, type StatFn } from "../../lib/init/exec_path.ts";
import { TsboxError } from "../../lib/errors.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n";
const GROUP = "root:x:0:\nuser:x:1000:\nstaff:x:50:user\nwheel:x:10:root,user\n";

Deno.test("resolveUser: names, numbers, groups and supplementary groups as docker", () => {
  assertEquals(resolveUser("", PASSWD, GROUP), { uid: 0, gid: 0, groups: [0, 10], home: "/root" });
  assertEquals(resolveUser("user", PASSWD, GROUP), {
    uid: 1000,
    gid: 1000,
    groups: [1000, 50, 10],
    home: "/home/user",
  });
  assertEquals(resolveUser("1000:50", PASSWD, GROUP), {
    uid: 1000,
    gid: 50,
    groups: [50],
    home: "/home/user",
  });
  assertEquals(resolveUser("user:staff", PASSWD, GROUP).gid, 50);
  // unknown numeric uid is allowed (no passwd entry needed)
  assertEquals(resolveUser("4242", PASSWD, GROUP), { uid: 4242, gid: 0, groups: [0], home: "/" });
  assertStringIncludes(
    assertThrows(() => resolveUser("nobody2", PASSWD, GROUP), TsboxError).message,
    "unable to find user nobody2",
  );
  assertStringIncludes(
    assertThrows(() => resolveUser("user:nogrp", PASSWD, GROUP), TsboxError).message,
    "unable to find group nogrp",
  );
});

const fs: Record<string, { isFile: boolean; mode: number }> = {
  "/bin/sh": { isFile: true, mode: 0o755 },
  "/usr/bin/data": { isFile: true, mode: 0o644 },
  "/bin/data": { isFile: true, mode: 0o755 },
  "/etc": { isFile: false, mode: 0o755 },
};
const stat: StatFn = (p) => fs[p];

Deno.test("findExecutable: PATH search, 127 not found, 126 not executable", () => {
  const env = ["PATH=/usr/bin:/bin"];
  assertEquals(findExecutable("sh", env, stat), "/bin/sh");
  // like execvp: a non-executable earlier match does not hide a later executable one
  assertEquals(findExecutable("data", env, stat), "/bin/data");
  assertEquals(assertThrows(() => findExecutable("nope", env, stat), TsboxError).exitCode, 127);
  assertEquals(assertThrows(() => findExecutable("/etc", env, stat), TsboxError).exitCode, 126);
  assertEquals(
    assertThrows(() => findExecutable("/usr/bin/data", env, stat), TsboxError).exitCode,
    126,
  );
  assertEquals(assertThrows(() => findExecutable("/no/such", env, stat), TsboxError).exitCode, 127);
});
