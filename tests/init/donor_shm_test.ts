/**
 * cloneDonorShm with the recording fake: the order of the trip into the
 * donor's mount namespace and back, the resolution flags, and that every
 * failure still returns to our namespace and closes what it opened.
 */

import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { cloneDonorShm } from "../../lib/init/donor_shm.ts";
import { SyscallError, TsboxError } from "../../lib/errors.ts";
import { CLONE_FS, CLONE_NEWNS } from "../../ffi/consts.ts";
import { O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS } from "../../ffi/openat.ts";

const MNTNS = "/proc/4242/fd/7";

/** The calls of `k` that matter here, as short strings. */
function trip(k: FakeKernel): string[] {
  return k.calls.map(({ method, args }) => {
    if (method === "openat") return `openat ${args[1]}`;
    if (method === "setns") return `setns ${args[0]}`;
    if (method === "chdir") return `chdir ${args[0]}`;
    return `${method} ${args[0]}`;
  });
}

Deno.test("cloneDonorShm: into the donor's namespace, /dev/shm in its root, clone, back", () => {
  const k = new FakeKernel(); // fds from 100: donor 100, home 101, cwd 102, root 103, shm 104
  const tree = cloneDonorShm(k, MNTNS);
  assertEquals(tree, 105);
  assertEquals(trip(k), [
    `openat ${MNTNS}`,
    "openat /proc/thread-self/ns/mnt",
    "openat .",
    `unshare ${CLONE_FS}`,
    "setns 100",
    "openat /",
    "openat2 103",
    "isMountRoot 104",
    "cloneMount 104",
    "setns 101",
    "chdir /proc/self/fd/102",
    "close 100",
    "close 101",
    "close 102",
    "close 103",
    "close 104",
  ]);
  assertEquals(k.callsOf("setns").map((a) => a[1]), [CLONE_NEWNS, CLONE_NEWNS]);
  // no symlink of the donor's is followed, nothing outside its root is reached
  assertEquals(k.callsOf("openat2")[0], [
    103,
    "dev/shm",
    O_PATH | O_DIRECTORY,
    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
  ]);
  assert(!k.callsOf("close").some((a) => a[0] === tree), "the clone is the caller's");
});

Deno.test("cloneDonorShm: a /dev/shm that is no mount is refused, back home all the same", () => {
  const k = new FakeKernel();
  k.mountRoot = false;
  assertThrows(() => cloneDonorShm(k, MNTNS), TsboxError, "/dev/shm is not a mount");
  assertEquals(k.callsOf("cloneMount"), []);
  assertEquals(k.callsOf("setns").map((a) => a[0]), [100, 101]);
  assertEquals(k.callsOf("chdir"), [["/proc/self/fd/102"]]);
  assertEquals(k.callsOf("close").map((a) => a[0]), [100, 101, 102, 103, 104]);
});

Deno.test("cloneDonorShm: a symlink on the way (ELOOP) or a failed clone: back home, fds closed", () => {
  for (const method of ["openat2", "cloneMount"] as const) {
    const k = new FakeKernel().failOn(method, method === "openat2" ? "ELOOP" : "EINVAL");
    if (method === "openat2") {
      assertThrows(
        () => cloneDonorShm(k, MNTNS),
        TsboxError,
        "the IPC donor's /dev/shm cannot be shared: too many levels of symbolic links (ELOOP)",
      );
    } else assertThrows(() => cloneDonorShm(k, MNTNS), SyscallError, "cloneMount");
    assertEquals(k.callsOf("setns").map((a) => a[0]), [100, 101], method);
    assertEquals(k.callsOf("chdir"), [["/proc/self/fd/102"]], method);
    const opened = method === "openat2" ? [100, 101, 102, 103] : [100, 101, 102, 103, 104];
    assertEquals(k.callsOf("close").map((a) => a[0]), opened, method);
  }
});

Deno.test("cloneDonorShm: the donor's namespace refused (setns EPERM): nothing to undo but the fds", () => {
  const k = new FakeKernel().failNth("setns", 1);
  assertThrows(() => cloneDonorShm(k, MNTNS), SyscallError, "setns");
  assertEquals(k.callsOf("setns").length, 1);
  assertEquals(k.callsOf("chdir"), []);
  assertEquals(k.callsOf("close").map((a) => a[0]), [100, 101, 102]);
});
