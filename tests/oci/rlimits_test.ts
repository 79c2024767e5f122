/**
 * tsbox-runc with the spec of runtime-tools' `process_rlimits` (its
 * generator's config: default seccomp filter, capabilities, mounts, and an
 * RLIMIT_AS of 1 GiB — far below the address space Deno's V8 reserves):
 * the init must still reach the command. It used to set the limits first
 * and then run on (seccomp, capabilities, user) until a GC needed a page
 * and V8 died "out of memory" before execve. Now the exact limits are the
 * last step before the launch (lib/init/process_tail.ts). Root only.
 */

import { assertEquals } from "../helpers/assert.ts";
import { removeTree, runcWrapper } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { join } from "../../lib/posix_path.ts";
import { fromFileUrl } from "../../lib/url.ts";

const CONFIG = fromFileUrl(new URL("./_rlimits_config.json", import.meta.url));

Deno.test("tsbox-runc: a 1 GiB RLIMIT_AS and the rest of process_rlimits' limits reach the command", async () => {
  const tmp = Deno.makeTempDirSync({ prefix: "tsbox-rlimits-" });
  const state = join(tmp, "state");
  const id = "rlimits-test";
  try {
    const bundle = join(tmp, "bundle");
    makeBusyboxRootfs(join(bundle, "rootfs"));
    Deno.copyFileSync(CONFIG, join(bundle, "config.json"));
    const o = await new Deno.Command(runcWrapper(), {
      args: ["--root", state, "run", "--bundle", bundle, id],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    // `ulimit -v` is in KiB; the soft limits are what the spec asks
    assertEquals(
      { code: o.code, out: dec.decode(o.stdout) },
      { code: 0, out: "1048576\n3000\n" },
      dec.decode(o.stderr),
    );
  } finally {
    await new Deno.Command(runcWrapper(), {
      args: ["--root", state, "delete", "--force", id],
      stdout: "null",
      stderr: "null",
    }).output();
    await removeTree(tmp);
  }
});
