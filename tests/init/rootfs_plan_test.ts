import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { overlayData, rootfsPlan, type Step } from "../../lib/init/rootfs_plan.ts";
import { applySteps } from "../../lib/init/apply_plan.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC } from "../../ffi/consts.ts";
import { TsboxError } from "../../lib/errors.ts";

const input = (rootfs: string) => ({
  rootfs,
  lowerDirs: ["/s/image/layers/aaa", "/s/image/layers/bbb"],
  upperDir: "/s/c/upper",
  workDir: "/s/c/work",
  etcFiles: { hosts: "/s/c/hosts", resolvConf: "/s/c/resolv.conf", hostname: "/s/c/hostname" },
});

const mounts = (steps: Step[]) =>
  steps.filter((s) => s.op === "mount") as Extract<Step, { op: "mount" }>[];

Deno.test("rootfsPlan: / made rprivate first, then overlay, then proc/dev/pts/sys/etc in order", () => {
  const { base, etc } = rootfsPlan(input("/r"));
  const m = mounts([...base, ...etc]);
  assertEquals(m[0], {
    op: "mount",
    source: null,
    target: "/",
    fstype: null,
    flags: MS_REC | MS_PRIVATE,
  });
  assertEquals(m[1].fstype, "overlay");
  const order = m.map((x) => x.target);
  const idx = (t: string) => order.indexOf(t);
  assert(idx("/r/proc") > 1 && idx("/r/dev") > idx("/r/proc"));
  assert(idx("/r/dev/pts") > idx("/r/dev") && idx("/r/dev/shm") > idx("/r/dev"));
  assert(idx("/r/sys") > 0 && (m[idx("/r/sys")].flags & MS_RDONLY) !== 0, "sysfs is read-only");
  for (const f of ["hosts", "resolv.conf", "hostname"]) {
    const e = m.find((x) => x.target === `/r/etc/${f}`)!;
    assertEquals(e.flags, MS_BIND);
    assertEquals(e.source, `/s/c/${f}`);
  }
  assertStringIncludes(m.find((x) => x.target === "/r/dev/pts")!.data!, "newinstance");
});

Deno.test("rootfsPlan: overlay lists the top layer first and shortens paths via chdir", () => {
  const { base } = rootfsPlan(input("/r"));
  assertEquals(base[1], { op: "chdir", path: "/s/image/layers" });
  assertEquals(mounts(base)[1].data, "lowerdir=bbb:aaa,upperdir=/s/c/upper,workdir=/s/c/work");
  assertEquals(
    overlayData(["/a", "/b", "/c"], "/u", "/w"),
    "lowerdir=/c:/b:/a,upperdir=/u,workdir=/w",
  );
});

Deno.test("rootfsPlan: masks hide kcore and make /proc/sys read-only", () => {
  const { masks } = rootfsPlan(input("/r"));
  const kcore = masks.find((s) => s.op === "mount" && s.target === "/r/proc/kcore");
  assert(kcore && kcore.op === "mount" && kcore.source === "/dev/null" && kcore.optional);
  const ro = masks.filter((s) => s.op === "mount" && s.target === "/r/proc/sys");
  assertEquals(ro.length, 2);
});

Deno.test("applySteps: makes dirs, device nodes and binds through the kernel", () => {
  const root = Deno.makeTempDirSync();
  try {
    const k = new FakeKernel();
    const { base, etc } = rootfsPlan(input(root));
    applySteps(k, root, [...base, ...etc].filter((s) => s.op !== "mknod"));
    assert(Deno.statSync(`${root}/proc`).isDirectory);
    assert(Deno.lstatSync(`${root}/dev/ptmx`).isSymlink);
    assert(Deno.statSync(`${root}/etc/hosts`).isFile);
    assertEquals(k.callsOf("mount").length, mounts([...base, ...etc]).length);
    assertEquals(k.callsOf("chdir"), [["/s/image/layers"]]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("applySteps: refuses an image whose /proc or /etc is a symlink to a host path", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/etc", `${root}/etc`);
    const k = new FakeKernel();
    const { base, etc } = rootfsPlan(input(root));
    const err = assertThrows(
      () => applySteps(k, root, [...base, ...etc].filter((s) => s.op !== "mknod")),
      TsboxError,
    );
    assertStringIncludes(err.message, "is a symlink");
    assert(
      !k.callsOf("mount").some((c) => String(c[1]).endsWith("/etc/hosts")),
      "no mount onto the host path",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("applySteps: optional mounts are skipped on ENOENT, required ones fail", () => {
  const root = Deno.makeTempDirSync();
  try {
    const k = new FakeKernel();
    k.failOn("mount", "ENOENT");
    applySteps(k, root, [{
      op: "mount",
      source: "/dev/null",
      target: `${root}/x`,
      fstype: null,
      flags: MS_BIND,
      optional: true,
    }]);
    const k2 = new FakeKernel().failOn("mount", "EPERM");
    assertThrows(() =>
      applySteps(k2, root, [{
        op: "mount",
        source: "proc",
        target: `${root}/proc`,
        fstype: "proc",
        flags: 0,
      }])
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
