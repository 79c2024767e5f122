/**
 * ffi/libc.ts binds symbols on first use: a grouped symbol brings its whole
 * group in one dlopen, an ungrouped one is bound alone, and every symbol of
 * every group binds. Runs in a subprocess, so that nothing this test
 * process bound before counts. No root needed.
 */

import { assertEquals } from "../helpers/assert.ts";

const LIBC = new URL("../../ffi/libc.ts", import.meta.url).href;

Deno.test("libc: a group binds in one dlopen; an ungrouped symbol alone; every symbol binds", async () => {
  const script = `
    import { bindings, libc } from "${LIBC}";
    const out = [];
    out.push(bindings());
    out.push(libc().getpid() === Deno.pid);
    out.push(bindings()); // getpid: in no group
    libc().chdir; libc().mount; libc().execve; libc().syscall_openat2;
    out.push(bindings()); // one more: the init's group, once
    libc().write; libc().__errno_location;
    out.push(bindings()); // one more: the common group
    for (const name of Object.keys(libc())) libc()[name];
    out.push(typeof libc().close_range);
    console.log(JSON.stringify(out));
  `;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-ffi", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 0, err);
  assertEquals(JSON.parse(new TextDecoder().decode(r.stdout)), [0, true, 1, 2, 3, "function"]);
});
