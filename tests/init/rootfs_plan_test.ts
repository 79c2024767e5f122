import { assert, assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";
import { devPlan, maskPlan, overlayData, rootPlan, type Step } from "../../lib/init/rootfs_plan.ts";
import { applySteps } from "../../lib/init/apply_plan.ts";
import { ociMountPlan } from "../../lib/init/oci_mounts.ts";
import { FakeKernel } from "../fake_kernel.ts";
import { MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC } from "../../ffi/consts.ts";
import { TsboxError, VolumeError } from "../../lib/errors.ts";
import {
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_MOUNTS,
  DEFAULT_READONLY_PATHS,
} from "../../lib/oci/defaults.ts";
import { applyMountPlan, realMountEnv } from "../../volumes/mount.ts";
import type { MountStep } from "../../volumes/mount_plan.ts";
import type { Mount } from "../../lib/oci/spec.ts";

const input = (rootfs: string) => ({
  rootfs,
  overlay: {
    lowerDirs: ["/s/image/layers/aaa", "/s/image/layers/bbb"],
    upperDir: "/s/c/upper",
    workDir: "/s/c/work",
  },
  devices: [{ path: "/dev/net/tun", type: "c", major: 10, minor: 200 }],
  maskedPaths: [...DEFAULT_MASKED_PATHS],
  readonlyPaths: [...DEFAULT_READONLY_PATHS],
  sysctl: { "net.ipv4.ip_forward": "1" },
});

const ETC: Mount[] = [
  { destination: "/etc/hosts", type: "bind", source: "/s/c/hosts", options: ["rbind", "rprivate"] },
];

const ctx = (over: Partial<Parameters<typeof ociMountPlan>[1]> = {}) => ({
  bundle: "/b",
  cgroupMounts: [{ source: "/sys/fs/cgroup/memory/tsbox-x", target: "/sys/fs/cgroup/memory" }],
  copyUps: [],
  sourceKind: () => "file" as const,
  ...over,
});

const mounts = (steps: Step[]) =>
  steps.filter((s) => s.op === "mount") as Extract<Step, { op: "mount" }>[];
const engineMounts = (steps: MountStep[]) =>
  steps.filter((s) => s.op === "mount") as Extract<MountStep, { op: "mount" }>[];

Deno.test("rootPlan: / made rprivate first, then the overlay (top layer first, via chdir)", () => {
  const base = rootPlan(input("/r"));
  assertEquals(base[0], {
    op: "mount",
    source: null,
    target: "/",
    fstype: null,
    flags: MS_REC | MS_PRIVATE,
  });
  assertEquals(base[1], { op: "chdir", path: "/s/image/layers" });
  assertEquals(mounts(base)[1].data, "lowerdir=bbb:aaa,upperdir=/s/c/upper,workdir=/s/c/work");
  assertEquals(
    overlayData(["/a", "/b", "/c"], "/u", "/w"),
    "lowerdir=/c:/b:/a,upperdir=/u,workdir=/w",
  );
});

Deno.test("rootPlan: a bundle rootfs without overlay is bound onto itself", () => {
  const base = rootPlan({ ...input("/b/rootfs"), overlay: undefined });
  assertEquals(mounts(base)[1], {
    op: "mount",
    source: "/b/rootfs",
    target: "/b/rootfs",
    fstype: null,
    flags: MS_BIND | MS_REC,
  });
});

Deno.test("ociMountPlan: docker's default mounts in order, fresh filesystems with their options", () => {
  const steps = ociMountPlan(DEFAULT_MOUNTS, ctx());
  const m = engineMounts(steps);
  const order = m.map((x) => x.target);
  assertEquals(order.slice(0, 4), ["/proc", "/dev", "/dev/pts", "/sys"]);
  assertStringIncludes(m.find((x) => x.target === "/dev/pts")!.data!, "newinstance");
  assert((m.find((x) => x.target === "/sys")!.flags & MS_RDONLY) !== 0, "sysfs is read-only");
  // cgroup: a tmpfs with the container's own dir of each hierarchy, all read-only
  assertEquals(m.filter((x) => x.target.startsWith("/sys/fs/cgroup")).map((x) => x.source), [
    "tmpfs",
    "/sys/fs/cgroup/memory/tsbox-x",
  ]);
  const ro = steps.filter((s) => s.op === "remount" && s.target.startsWith("/sys/fs/cgroup"));
  assertEquals(ro.length, 2);
  assert(ro.every((s) => s.op === "remount" && (s.flags & MS_RDONLY) !== 0));
});

Deno.test("ociMountPlan: binds get a target of the source's kind, ro remount, propagation", () => {
  const steps = ociMountPlan(
    [
      ...ETC,
      { destination: "/data", type: "bind", source: "vol", options: ["rbind", "ro", "rslave"] },
    ],
    ctx({
      sourceKind: (p) => p.endsWith("hosts") ? "file" : "dir",
      copyUps: [{ target: "/data", volumeDir: "/v", dataDir: "/b/vol" }],
    }),
  );
  const ops = steps.map((s) => `${s.op} ${s.target}`);
  assertEquals(ops, [
    "target /etc/hosts",
    "mount /etc/hosts",
    "propagation /etc/hosts",
    "target /data",
    "copyUp /data",
    "mount /data",
    "remount /data",
    "propagation /data",
  ]);
  assert(steps[0].op === "target" && steps[0].kind === "file");
  assert(steps[3].op === "target" && steps[3].kind === "dir");
  const data = engineMounts(steps)[1];
  assertEquals(data.source, "/b/vol", "a relative source is relative to the bundle");
  assertEquals(data.flags, MS_BIND | MS_REC);
});

Deno.test("devPlan: default devices plus the spec's, nested dirs, owners, /dev symlinks", () => {
  const steps = devPlan(input("/r"));
  const nodes = steps.filter((s) => s.op === "mknod").map((s) => s.op === "mknod" && s.path);
  assertEquals(nodes, [...DEFAULT_DEVICES.map((d) => `/r${d.path}`), "/r/dev/net/tun"]);
  assert(steps.some((s) => s.op === "mkdir" && s.path === "/r/dev/net"));
  assert(steps.some((s) => s.op === "chown" && s.path === "/r/dev/null" && s.uid === 0));
  assert(
    steps.some((s) => s.op === "symlink" && s.path === "/r/dev/ptmx" && s.target === "pts/ptmx"),
  );
});

Deno.test("maskPlan: sysctls first, then the spec's masked and read-only paths", () => {
  const masks = maskPlan(input("/r"));
  assertEquals(masks[0], { op: "write", path: "/r/proc/sys/net/ipv4/ip_forward", data: "1" });
  for (const p of DEFAULT_MASKED_PATHS) {
    assert(masks.some((s) => s.op === "mask" && s.path === `/r${p}`), p);
  }
  const ro = masks.filter((s) => s.op === "mount" && s.target === "/r/proc/sys");
  assertEquals(ro.length, 2);
  assert(ro[1].op === "mount" && (ro[1].flags & MS_RDONLY) !== 0);
  const none = maskPlan({ ...input("/r"), maskedPaths: [], readonlyPaths: [], sysctl: {} });
  assertEquals(none, []);
});

Deno.test("applySteps + engine: dirs, symlinks, pinned binds through the kernel", () => {
  const root = Deno.makeTempDirSync();
  try {
    const k = new FakeKernel();
    applySteps(k, root, rootPlan(input(root)));
    const steps = ociMountPlan([...DEFAULT_MOUNTS, ...ETC], ctx());
    applyMountPlan(k, steps, realMountEnv(k, root));
    applySteps(k, root, devPlan(input(root)).filter((s) => s.op !== "mknod" && s.op !== "chown"));
    assert(Deno.statSync(`${root}/proc`).isDirectory);
    assert(Deno.lstatSync(`${root}/dev/ptmx`).isSymlink);
    assert(Deno.statSync(`${root}/etc/hosts`).isFile);
    assertEquals(k.callsOf("chdir"), [["/s/image/layers"]]);
    const targets = k.callsOf("mount").slice(2).map((c) => String(c[1]));
    assert(targets.every((t) => t.startsWith("/proc/self/fd/")), targets.join());
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("applySteps: refuses a symlinked mount point of its own plan", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/proc", `${root}/proc`);
    const k = new FakeKernel();
    const err = assertThrows(() => applySteps(k, root, maskPlan(input(root))), TsboxError);
    assertStringIncludes(err.message, "is a symlink");
    assert(!k.callsOf("mount").some((c) => String(c[1]).startsWith("/proc")), "no host mount");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("etc binds: an image /etc linking to a host dir stays inside the rootfs", () => {
  const root = Deno.makeTempDirSync();
  const host = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync(host, `${root}/etc`);
    const k = new FakeKernel();
    applyMountPlan(k, ociMountPlan(ETC, ctx()), realMountEnv(k, root));
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
    const err = assertThrows(
      () => applyMountPlan(k, ociMountPlan(ETC, ctx()), realMountEnv(k, root)),
      VolumeError,
    );
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
