import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { overlayData, rootfsPlan, type Step } from "../../lib/init/rootfs_plan.ts";
import { applySteps } from "../../lib/init/apply_plan.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC } from "../../ffi/consts.ts";
import { TsboxError, VolumeError } from "../../lib/errors.ts";
import {
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
} from "../../lib/oci/defaults.ts";
import { applyMountPlan, realMountEnv } from "../../volumes/mount.ts";
import type { MountStep } from "../../volumes/mount_plan.ts";

const input = (rootfs: string) => ({
  rootfs,
  lowerDirs: ["/s/image/layers/aaa", "/s/image/layers/bbb"],
  upperDir: "/s/c/upper",
  workDir: "/s/c/work",
  etcFiles: { hosts: "/s/c/hosts", resolvConf: "/s/c/resolv.conf", hostname: "/s/c/hostname" },
  devices: [...DEFAULT_DEVICES, { path: "/dev/net/tun", type: "c", major: 10, minor: 200 }],
  maskedPaths: [...DEFAULT_MASKED_PATHS],
  readonlyPaths: [...DEFAULT_READONLY_PATHS],
  sysctl: { "net.ipv4.ip_forward": "1" },
  sysfsWritable: false,
  cgroupMounts: [{ source: "/sys/fs/cgroup/memory/tsbox-x", target: "/sys/fs/cgroup/memory" }],
});

const etcMounts = (steps: MountStep[]) =>
  steps.filter((s) => s.op === "mount") as Extract<MountStep, { op: "mount" }>[];

const mounts = (steps: Step[]) =>
  steps.filter((s) => s.op === "mount") as Extract<Step, { op: "mount" }>[];

Deno.test("rootfsPlan: / made rprivate first, then overlay, then proc/dev/pts/sys/etc in order", () => {
  const { base, etc } = rootfsPlan(input("/r"));
  const m = mounts(base);
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
  // the /etc files go through the volume engine: container paths, resolved and pinned there
  for (const f of ["hosts", "resolv.conf", "hostname"]) {
    assert(etc.some((s) => s.op === "target" && s.target === `/etc/${f}` && s.kind === "file"));
    const e = etcMounts(etc).find((x) => x.target === `/etc/${f}`)!;
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

Deno.test("rootfsPlan: sysctls first, then the spec's masked and read-only paths", () => {
  const { masks } = rootfsPlan(input("/r"));
  assertEquals(masks[0], { op: "write", path: "/r/proc/sys/net/ipv4/ip_forward", data: "1" });
  for (const p of DEFAULT_MASKED_PATHS) {
    assert(masks.some((s) => s.op === "mask" && s.path === `/r${p}`), p);
  }
  const ro = masks.filter((s) => s.op === "mount" && s.target === "/r/proc/sys");
  assertEquals(ro.length, 2);
  assert(ro[1].op === "mount" && (ro[1].flags & MS_RDONLY) !== 0);
  const { masks: none } = rootfsPlan({ ...input("/r"), maskedPaths: [], readonlyPaths: [] });
  assertEquals(none.filter((s) => s.op !== "write"), []);
});

Deno.test("rootfsPlan: the spec's devices, nested dirs created, owners set", () => {
  const { base } = rootfsPlan(input("/r"));
  const nodes = base.filter((s) => s.op === "mknod").map((s) => s.op === "mknod" && s.path);
  assertEquals(nodes, [...DEFAULT_DEVICES.map((d) => `/r${d.path}`), "/r/dev/net/tun"]);
  assert(base.some((s) => s.op === "mkdir" && s.path === "/r/dev/net"));
  assert(base.some((s) => s.op === "chown" && s.path === "/r/dev/null" && s.uid === 0));
  const cg = mounts(base).filter((m) => m.target.startsWith("/r/sys/fs/cgroup"));
  assertEquals(cg.map((m) => [m.source, m.target]), [
    ["tmpfs", "/r/sys/fs/cgroup"],
    ["/sys/fs/cgroup/memory/tsbox-x", "/r/sys/fs/cgroup/memory"],
    [null, "/r/sys/fs/cgroup/memory"],
    [null, "/r/sys/fs/cgroup"],
  ]);
  assert((cg[2].flags & MS_RDONLY) !== 0 && (cg[3].flags & MS_RDONLY) !== 0, "cgroups read-only");
  const rw = rootfsPlan({ ...input("/r"), sysfsWritable: true }).base;
  assertEquals(mounts(rw).find((m) => m.target === "/r/sys")!.flags & MS_RDONLY, 0);
});

Deno.test("applySteps: makes dirs, device nodes and binds through the kernel", () => {
  const root = Deno.makeTempDirSync();
  try {
    const k = new FakeKernel();
    const { base, etc } = rootfsPlan(input(root));
    applySteps(k, root, base.filter((s) => s.op !== "mknod" && s.op !== "chown"));
    applyMountPlan(k, etc, realMountEnv(k, root));
    assert(Deno.statSync(`${root}/proc`).isDirectory);
    assert(Deno.lstatSync(`${root}/dev/ptmx`).isSymlink);
    assert(Deno.statSync(`${root}/etc/hosts`).isFile);
    assertEquals(k.callsOf("mount").length, mounts(base).length + etcMounts(etc).length);
    assertEquals(k.callsOf("chdir"), [["/s/image/layers"]]);
    // the /etc binds go to pinned fds, never to a path that could be swapped
    const etcTargets = k.callsOf("mount").slice(mounts(base).length).map((c) => String(c[1]));
    assert(etcTargets.every((t) => t.startsWith("/proc/self/fd/")), etcTargets.join());
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("applySteps: refuses an image whose /proc is a symlink to a host path", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/proc", `${root}/proc`);
    const k = new FakeKernel();
    const { base } = rootfsPlan(input(root));
    const err = assertThrows(
      () => applySteps(k, root, base.filter((s) => s.op !== "mknod" && s.op !== "chown")),
      TsboxError,
    );
    assertStringIncludes(err.message, "is a symlink");
    assert(!k.callsOf("mount").some((c) => c[1] === `${root}/proc`), "no mount onto the host path");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("etc binds: an image /etc linking to the host's /etc stays inside the rootfs", () => {
  const root = Deno.makeTempDirSync();
  const host = Deno.makeTempDirSync();
  try {
    // /etc → absolute host dir, /etc/hosts → ../../host file: both resolve inside the rootfs
    Deno.symlinkSync(host, `${root}/etc`);
    const k = new FakeKernel();
    const { etc } = rootfsPlan(input(root));
    applyMountPlan(k, etc, realMountEnv(k, root));
    assertEquals([...Deno.readDirSync(host)], [], "nothing created in the link's host target");
    const made = Deno.realPathSync(`${root}${host}/hosts`);
    assert(made.startsWith(Deno.realPathSync(root)), made);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(host, { recursive: true });
  }
});

Deno.test("etc binds: a symlink loop in the image fails with one clear error, no mount", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/etc", `${root}/etc`);
    const k = new FakeKernel();
    const { etc } = rootfsPlan(input(root));
    const err = assertThrows(() => applyMountPlan(k, etc, realMountEnv(k, root)), VolumeError);
    assertStringIncludes(err.message, "too many levels of symbolic links");
    assertEquals(k.callsOf("mount"), []);
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
