/**
 * ffi/libc.ts: the libc functions that are one system call go through the
 * one bound `syscall(2)` wrapper and behave as libc's (results, -1 and
 * errno, the *at forms glibc uses, buffers by address); the rest are bound
 * on first use, one dlopen each. Runs in a subprocess, so that nothing this
 * test process bound before counts. No root needed.
 */

import { assertEquals } from "../helpers/assert.ts";

const LIBC = new URL("../../ffi/libc.ts", import.meta.url).href;
const CSTRING = new URL("../../ffi/cstring.ts", import.meta.url).href;

/** What `script`, run by a fresh `deno eval`, prints as JSON. */
async function evalJson(script: string): Promise<unknown> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

Deno.test({
  name: "libc: plain system calls through syscall(2), as libc's; the rest bound one by one",
  ignore: Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64",
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-libc-" });
    try {
      const script = `
        import { bindings, errno, libc } from "${LIBC}";
        import { cstr } from "${CSTRING}";
        const out = {};
        out.start = bindings();
        out.pid = libc().getpid() === Deno.pid;
        out.afterPid = bindings(); // __errno_location first, then the syscall(2) wrapper
        out.missing = libc().open(cstr("${dir}/missing"), 0, 0);
        out.missingErrno = errno(); // bound already: nothing ran between the call and this
        const fd = libc().open(cstr("${dir}/f"), 0o101 /* O_WRONLY|O_CREAT */, 0o600);
        out.wrote = Number(libc().write(fd, new TextEncoder().encode("hello"), 5n));
        out.closed = libc().close(fd);
        out.fifo = libc().mknod(cstr("${dir}/fifo"), 0o010600, 0n); // mknodat(AT_FDCWD, …)
        Deno.symlinkSync("/nonexistent", "${dir}/link");
        const me = Deno.uid();
        out.lchown = libc().lchown(cstr("${dir}/link"), me, Deno.gid()); // no follow: no ENOENT
        const old = libc().umask(0o027);
        out.umask = libc().umask(old); // the previous mask back
        const st = new Uint8Array(256); // statx: a buffer written by the kernel, by address
        out.statx = libc().statx(-100, cstr("${dir}/fifo"), 0x100, 0x2, st);
        out.fifoType = ((st[28] | (st[29] << 8)) & 0o170000) === 0o010000;
        out.beforeBound = bindings();
        out.setuidBound = typeof libc().setuid; // glibc's setuid is more than a syscall: bound
        out.afterBound = bindings();
        console.log(JSON.stringify(out));
      `;
      assertEquals(await evalJson(script), {
        start: 0,
        pid: true,
        afterPid: 2,
        missing: -1,
        missingErrno: 2,
        wrote: 5,
        closed: 0,
        fifo: 0,
        lchown: 0,
        umask: 0o027,
        statx: 0,
        fifoType: true,
        beforeBound: 2,
        setuidBound: "function",
        afterBound: 3,
      });
      assertEquals(Deno.readTextFileSync(`${dir}/f`), "hello");
      assertEquals(Deno.lstatSync(`${dir}/fifo`).isFifo, true);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("libc: a process's first call failing still reports its own errno (errno is bound first)", async () => {
  const script = `
    import { bindings, errno, libc } from "${LIBC}";
    import { cstr } from "${CSTRING}";
    const r = libc().open(cstr("/nonexistent/tsbox-libc-test"), 0, 0);
    const e = errno();
    console.log(JSON.stringify([r, e, bindings()]));
  `;
  assertEquals(await evalJson(script), [-1, 2, 2]);
});

Deno.test("libc: two copies of the module in one process (as the bundles hold) share one binding table", async () => {
  // a query makes a second instance of the same module, as each bundle has its own copy
  const script = `
    const a = await import("${LIBC}");
    const b = await import("${LIBC}?copy");
    const out = { distinct: a.libc() !== b.libc() };
    a.libc().getpid();
    out.afterA = [a.bindings(), b.bindings()]; // one count: the isolate's dlopens
    b.libc().getpid(); // through syscall6 and errno, bound by copy a
    out.afterB = [a.bindings(), b.bindings()];
    const fd = b.libc().open(new TextEncoder().encode("/nonexistent/tsbox-libc\\0"), 0, 0);
    out.failedInB = [fd, a.errno(), b.errno()]; // one errno view: either copy reads it
    b.libc().setuid; // bound by copy b: copy a takes it
    a.libc().setuid;
    out.afterSetuid = [a.bindings(), b.bindings()];
    console.log(JSON.stringify(out));
  `;
  assertEquals(await evalJson(script), {
    distinct: true,
    afterA: [2, 2],
    afterB: [2, 2],
    failedInB: [-1, 2, 2],
    afterSetuid: [3, 3],
  });
});

Deno.test("libc: a bound symbol's buffer arguments go by address, a view at its own offset", async () => {
  const script = `
    import { libc } from "${LIBC}";
    const whole = new Uint8Array(32);
    const view = whole.subarray(8, 24); // struct rlimit { soft, hard } at byte 8 of the buffer
    const rc = libc().getrlimit(7 /* RLIMIT_NOFILE */, view);
    const lim = new BigUint64Array(whole.buffer, 8, 2);
    const line = Deno.readTextFileSync("/proc/self/limits").split("\\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line.split(/\\s{2,}/).slice(1, 3).map(Number);
    console.log(JSON.stringify({
      rc,
      read: [Number(lim[0]), Number(lim[1])],
      limits: [soft, hard],
      untouched: [...whole.subarray(0, 8), ...whole.subarray(24)].every((b) => b === 0),
    }));
  `;
  const out = await evalJson(script) as {
    rc: number;
    read: number[];
    limits: number[];
    untouched: boolean;
  };
  assertEquals(out, { ...out, rc: 0, untouched: true });
  assertEquals(out.read, out.limits);
});
