/**
 * Real-kernel tests: a child Deno process (_load_child.ts) loads the default
 * profile on its main thread and reports its Seccomp status line and what a
 * few system calls return afterwards.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { DEFAULT_CAPABILITIES } from "../../lib/oci/defaults.ts";

const CHILD = new URL("./_load_child.ts", import.meta.url).pathname;

interface ChildReport {
  loaded: boolean;
  error?: string;
  seccomp: string;
  filters: string;
  results: Record<string, string>;
  ms?: Record<string, number>;
  instructions?: number;
}

/** Run the child (optionally under `wrapper` argv) and parse its one JSON line. */
async function child(args: string[], wrapper: string[] = []): Promise<ChildReport> {
  const argv = [Deno.execPath(), "run", "-A", "--quiet", CHILD, ...args];
  const cmd = new Deno.Command(wrapper.length ? wrapper[0] : argv[0], {
    args: wrapper.length ? [...wrapper.slice(1), ...argv] : argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `child failed (${out.code}): ${stderr}${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

const isRoot = Deno.uid() === 0;
const hasSetpriv = (() => {
  try {
    return Deno.statSync("/usr/bin/setpriv").isFile;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return false;
  }
})();

Deno.test("loadSeccomp: the default profile becomes the thread's real filter (Seccomp: 2)", async () => {
  const r = await child([]);
  assertEquals(r.loaded, true, r.error);
  assertEquals(r.seccomp, "Seccomp:\t2");
  assertEquals(r.filters, "Seccomp_filters:\t1");
  // figures for the report; nothing is asserted on them
  console.log(`  default profile: ${r.instructions} BPF instructions, ms ${JSON.stringify(r.ms)}`);
  assertEquals(r.results.getpid, "ok");
  assertEquals(r.results.personality_query, "ok");
  assertEquals(r.results.socket_netlink_route, "ok");
});

Deno.test("loadSeccomp: docker's default refuses unshare(CLONE_NEWUSER), keyctl, setns, bpf, AF_ALG with EPERM", async () => {
  const r = await child([]);
  assertEquals(r.loaded, true, r.error);
  for (const p of ["unshare_user", "keyctl", "add_key", "setns", "bpf", "userfaultfd"]) {
    assertEquals(r.results[p], "EPERM", p);
  }
  assertEquals(r.results.socket_alg, "EPERM");
  assertEquals(r.results.personality_bsd, "EPERM");
});

Deno.test("precompiledSeccompLoader: installs a second, stacked filter later", async () => {
  const r = await child(["--twice"]);
  assertEquals(r.loaded, true, r.error);
  assertEquals(r.seccomp, "Seccomp:\t2");
  assertEquals(r.filters, "Seccomp_filters:\t2");
  assertEquals(r.results.add_key, "EPERM");
  assertEquals(r.results.getpid, "ok");
});

Deno.test("loadSeccomp: defaultAction ERRNO with defaultErrnoRet 38 makes unlisted calls ENOSYS", async () => {
  const r = await child(["--default-errno", "38"]);
  assertEquals(r.seccomp, "Seccomp:\t2");
  assertEquals(r.results.add_key, "ENOSYS");
  assertEquals(r.results.keyctl, "ENOSYS");
  assertEquals(r.results.personality_bsd, "ENOSYS");
  assertEquals(r.results.getpid, "ok");
});

Deno.test("loadSeccomp: without defaultErrnoRet the default action answers EPERM", async () => {
  const r = await child(["--default-errno", "none"]);
  assertEquals(r.seccomp, "Seccomp:\t2");
  assertEquals(r.results.add_key, "EPERM");
  assertEquals(r.results.personality_bsd, "EPERM");
  assertEquals(r.results.getpid, "ok");
});

Deno.test("loadSeccomp: CAP_SYS_ADMIN lets unshare, setns, bpf reach the kernel; keyctl stays EPERM", async () => {
  const r = await child(["--caps", "CAP_SYS_ADMIN,CAP_CHOWN"]);
  assertEquals(r.seccomp, "Seccomp:\t2");
  // the kernel answers: a threaded caller, a bad fd, a bogus bpf command
  assertEquals(r.results.unshare_user, "EINVAL");
  assertEquals(r.results.setns, "EBADF");
  assertEquals(r.results.bpf, "EINVAL");
  assertEquals(r.results.keyctl, "EPERM");
  assertEquals(r.results.socket_alg, "EPERM");
  assertEquals(DEFAULT_CAPABILITIES.includes("CAP_SYS_ADMIN"), false);
});

Deno.test({
  name: "installSeccomp: without no_new_privs and CAP_SYS_ADMIN the kernel refuses (EACCES)",
  ignore: !isRoot || !hasSetpriv,
  async fn() {
    const r = await child(["--no-nnp"], ["/usr/bin/setpriv", "--bounding-set", "-sys_admin"]);
    assertEquals(r.loaded, false);
    assertStringIncludes(r.error ?? "", "seccomp: loading the filter: permission denied (EACCES)");
    assertStringIncludes(r.error ?? "", "hint: set no_new_privs first");
    assertEquals(r.seccomp, "Seccomp:\t0");
  },
});

Deno.test({
  name: "installSeccomp: with CAP_SYS_ADMIN no no_new_privs is needed",
  ignore: !isRoot,
  async fn() {
    const r = await child(["--no-nnp"]);
    assertEquals(r.loaded, true, r.error);
    assertEquals(r.seccomp, "Seccomp:\t2");
  },
});

Deno.test({
  name: "compileSeccomp: libseccomp is never opened from a changed root (container rootfs)",
  ignore: !isRoot,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-seccomp-root-" });
    try {
      const r = await child(["--chroot", dir]);
      assertEquals(r.loaded, false);
      assertStringIncludes(
        r.error ?? "",
        "tsbox: seccomp: refusing to open libseccomp.so.2 after the root changed",
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
