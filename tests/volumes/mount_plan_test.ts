/**
 * The mount plan and its application with the recording fake Kernel and a
 * fake filesystem env: step order, flags, parents before children, and
 * the undo of earlier mounts when a call fails. No root needed.
 * @module
 */

import assert from "node:assert/strict";
import { VolumeError } from "../../lib/errors.ts";
import { FakeKernel } from "../fake_kernel.ts";
import {
  MNT_DETACH,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SLAVE,
} from "../../ffi/consts.ts";
import { mountPlan } from "../../volumes/mount_plan.ts";
import { applyMountPlan, type MountEnv } from "../../volumes/mount.ts";
import { keptFlags } from "../../volumes/target.ts";
import type { PreparedMount } from "../../volumes/types.ts";

const R = "/rootfs";

function vol(target: string, extra: Partial<PreparedMount> = {}): PreparedMount {
  const name = `v${target.replaceAll("/", "_")}`;
  return {
    type: "volume",
    source: `/vols/${name}/_data`,
    target,
    readOnly: false,
    propagation: "rprivate",
    targetKind: "dir",
    volume: { name, dir: `/vols/${name}`, anonymous: false, created: true, copyUp: true },
    ...extra,
  };
}

/** A fake env: targets resolve to R + target, "existing" ones are listed; records copy-ups. */
function fakeEnv(existing: string[] = []): MountEnv & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    ensureTarget: (target, kind) => {
      log.push(`ensure ${target} ${kind}`);
      return { path: R + target, existed: existing.includes(target) };
    },
    pin: (path) => {
      log.push(`pin ${path}`);
      return { path: `pinned:${path}`, fd: -1, close: () => log.push(`close ${path}`) };
    },
    keptFlags: () => MS_NOSUID | MS_NODEV,
    copyUp: (src, _dir, data) => log.push(`copyUp ${src} -> ${data}`),
    close: () => log.push("env closed"),
  };
}

Deno.test("mountPlan: bind steps in order, parents before children", () => {
  const bind: PreparedMount = {
    type: "bind",
    source: "/host/conf",
    target: "/etc/app.conf",
    readOnly: true,
    propagation: "rslave",
    targetKind: "file",
  };
  const steps = mountPlan([vol("/data/sub/deeper"), bind, vol("/data")]);
  assert.deepEqual(steps.map((s) => `${s.op} ${s.target}`), [
    "target /data",
    "copyUp /data",
    "mount /data",
    "propagation /data",
    "target /etc/app.conf",
    "mount /etc/app.conf",
    "remountRo /etc/app.conf",
    "propagation /etc/app.conf",
    "target /data/sub/deeper",
    "copyUp /data/sub/deeper",
    "mount /data/sub/deeper",
    "propagation /data/sub/deeper",
  ]);
  assert.deepEqual(steps[4], { op: "target", target: "/etc/app.conf", kind: "file" });
  assert.deepEqual(steps[5], {
    op: "mount",
    target: "/etc/app.conf",
    source: "/host/conf",
    fstype: null,
    flags: MS_BIND | MS_REC,
    data: null,
  });
  assert.deepEqual(steps[7], {
    op: "propagation",
    target: "/etc/app.conf",
    flags: MS_REC | MS_SLAVE,
  });
});

Deno.test("mountPlan: nocopy has no copy-up; tmpfs and fs volumes are single mounts", () => {
  const noCopy = vol("/n");
  noCopy.volume!.copyUp = false;
  const tmpfs: PreparedMount = {
    type: "tmpfs",
    source: "tmpfs",
    target: "/t",
    readOnly: true,
    propagation: "rprivate",
    targetKind: "dir",
    tmpfsOptions: ["noexec", "nosuid", "nodev", "size=1m", "mode=1777"],
  };
  const fsVol = vol("/f", {
    source: "tmpfs",
    fs: { type: "tmpfs", options: ["size=2m", "noexec"] },
  });
  const steps = mountPlan([noCopy, tmpfs, fsVol]);
  assert.deepEqual(steps.map((s) => `${s.op} ${s.target}`), [
    "target /n",
    "mount /n",
    "propagation /n",
    "target /t",
    "mount /t",
    "target /f",
    "mount /f",
  ]);
  assert.deepEqual(steps[4], {
    op: "mount",
    target: "/t",
    source: "tmpfs",
    fstype: "tmpfs",
    flags: MS_NOEXEC | MS_NOSUID | MS_NODEV | MS_RDONLY,
    data: "size=1m,mode=1777",
  });
  assert.deepEqual(steps[6], {
    op: "mount",
    target: "/f",
    source: "tmpfs",
    fstype: "tmpfs",
    flags: MS_NOEXEC,
    data: "size=2m",
  });
});

Deno.test("applyMountPlan: calls the kernel on pinned targets; ro remount keeps the mount's flags", () => {
  const k = new FakeKernel();
  const env = fakeEnv(["/data"]);
  applyMountPlan(k, mountPlan([vol("/data", { readOnly: true }), vol("/new")]), env);
  assert.deepEqual(k.callsOf("mount"), [
    ["/vols/v_data/_data", "pinned:/rootfs/data", null, MS_BIND | MS_REC, null],
    [
      null,
      "pinned:/rootfs/data",
      null,
      MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
      null,
    ],
    [null, "pinned:/rootfs/data", null, MS_REC | MS_PRIVATE, null],
    ["/vols/v_new/_data", "pinned:/rootfs/new", null, MS_BIND | MS_REC, null],
    [null, "pinned:/rootfs/new", null, MS_REC | MS_PRIVATE, null],
  ]);
  // copy-up only where the image had the dir; every pin is closed again, one pin per kernel call
  assert.ok(env.log.includes("copyUp /rootfs/data -> /vols/v_data/_data"));
  assert.ok(!env.log.some((l) => l.startsWith("copyUp /rootfs/new")));
  assert.equal(env.log.filter((l) => l.startsWith("pin ")).length, 5);
  assert.equal(env.log.filter((l) => l.startsWith("close ")).length, 5);
  assert.deepEqual(k.callsOf("umount2"), []);
});

Deno.test("applyMountPlan: where the kernel can (mount_setattr), read-only is one call on the pinned mount", () => {
  const k = new FakeKernel();
  k.bindFlagsWork = true;
  let pins = 0;
  const env = {
    ...fakeEnv(),
    pin: (path: string) => ({ path: `pinned:${path}`, fd: 40 + pins++, close: () => {} }),
    keptFlags: () => {
      throw new Error("no mountinfo read when mount_setattr did it");
    },
  };
  applyMountPlan(k, mountPlan([vol("/data", { readOnly: true })]), env);
  // the pin after the bind: the new mount, not the dir it covers
  assert.deepEqual(k.callsOf("setBindFlags"), [[41, MS_RDONLY]]);
  assert.deepEqual(k.callsOf("mount"), [
    ["/vols/v_data/_data", "pinned:/rootfs/data", null, MS_BIND | MS_REC, null],
    [null, "pinned:/rootfs/data", null, MS_REC | MS_PRIVATE, null],
  ]);
});

Deno.test("applyMountPlan: a bind's flags are one mount_setattr where it works, a remount with the kept flags where not", () => {
  const steps = [
    { op: "target" as const, target: "/sys/fs/cgroup/memory", kind: "dir" as const },
    {
      op: "mount" as const,
      target: "/sys/fs/cgroup/memory",
      source: "/host/memory",
      fstype: null,
      flags: MS_BIND | MS_REC,
      data: null,
    },
    {
      op: "remount" as const,
      target: "/sys/fs/cgroup/memory",
      flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      bind: true,
    },
  ];
  const k = new FakeKernel();
  k.bindFlagsWork = true;
  applyMountPlan(k, steps, {
    ...fakeEnv(),
    keptFlags: () => {
      throw new Error("no mountinfo read when mount_setattr did it");
    },
  });
  assert.deepEqual(k.callsOf("setBindFlags"), [[-1, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC]]);
  assert.equal(k.callsOf("mount").length, 1, "the bind only");
  const old = new FakeKernel(); // no mount_setattr: the remount keeps what the mount has
  applyMountPlan(old, steps, fakeEnv());
  assert.deepEqual(old.callsOf("mount")[1], [
    null,
    "pinned:/rootfs/sys/fs/cgroup/memory",
    null,
    MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_BIND,
    null,
  ]);
});

Deno.test("applyMountPlan: a failed mount unmounts the earlier ones, newest first, and names the mount", () => {
  const k = new FakeKernel().failOn("mount", "EACCES", (c) => c.args[0] === "/vols/v_c/_data");
  const env = fakeEnv();
  assert.throws(
    () => applyMountPlan(k, mountPlan([vol("/a"), vol("/b"), vol("/c"), vol("/d")]), env),
    (err: unknown) => {
      assert.ok(err instanceof VolumeError);
      assert.equal(
        (err as Error).message,
        "mount /vols/v_c/_data on /c: permission denied (EACCES)",
      );
      return true;
    },
  );
  assert.deepEqual(k.callsOf("umount2"), [["/rootfs/b", MNT_DETACH], ["/rootfs/a", MNT_DETACH]]);
  assert.ok(
    !k.callsOf("mount").some((a) => a[0] === "/vols/v_d/_data"),
    "nothing after the failure",
  );
  assert.equal(
    env.log.filter((l) => l.startsWith("pin ")).length,
    env.log.filter((l) => l.startsWith("close ")).length,
  );
});

Deno.test("applyMountPlan: a failed ro remount undoes its own bind too", () => {
  const k = new FakeKernel().failOn(
    "mount",
    "EPERM",
    (c) => ((c.args[3] as number) & MS_REMOUNT) !== 0,
  );
  assert.throws(
    () => applyMountPlan(k, mountPlan([vol("/a"), vol("/b", { readOnly: true })]), fakeEnv()),
    /make \/b read-only/,
  );
  assert.deepEqual(k.callsOf("umount2"), [["/rootfs/b", MNT_DETACH], ["/rootfs/a", MNT_DETACH]]);
});

Deno.test("applyMountPlan: an undo failure is reported in the hint, the first error stays", () => {
  const k = new FakeKernel().failNth("mount", 3, "ENOSPC").failOn("umount2", "EBUSY");
  assert.throws(
    () => applyMountPlan(k, mountPlan([vol("/a"), vol("/b")]), fakeEnv()),
    (err: unknown) => {
      assert.ok(err instanceof VolumeError);
      assert.match((err as Error).message, /mount \/vols\/v_b\/_data on \/b: .*ENOSPC/);
      assert.match((err as VolumeError).hint ?? "", /could not unmount: \/rootfs\/a: .*EBUSY/);
      return true;
    },
  );
});

Deno.test("applyMountPlan: a failing target or copy-up stops before any mount of that volume", () => {
  const k = new FakeKernel();
  const env = fakeEnv(["/x"]);
  env.copyUp = () => {
    throw new Error("disk full");
  };
  assert.throws(
    () => applyMountPlan(k, mountPlan([vol("/a"), vol("/x")]), env),
    /copy image content of \/x .*: disk full/,
  );
  assert.deepEqual(k.callsOf("mount").map((a) => a[0]), ["/vols/v_a/_data", null]);
  assert.deepEqual(k.callsOf("umount2"), [["/rootfs/a", MNT_DETACH]]);
});

Deno.test("FakeKernel: records every Kernel method and fails only what it is told to", () => {
  const k = new FakeKernel().failNth("chdir", 2, "ENOENT");
  k.unshare(1);
  k.chdir("/a");
  assert.throws(() => k.chdir("/b"), /chdir \/b: no such file or directory \(ENOENT\)/);
  k.chdir("/c");
  k.lchown("/f", 1, 2);
  k.mknod("/n", 0o20666, 259n);
  k.lutimes("/f", 1, 2);
  k.sethostname("h");
  k.pivotRoot(".", ".");
  k.chroot("/");
  k.setns(3, 0);
  k.lsetxattr("/f", "user.x", new Uint8Array([1]));
  assert.deepEqual(k.calls.map((c) => c.method), [
    "unshare",
    "chdir",
    "chdir",
    "chdir",
    "lchown",
    "mknod",
    "lutimes",
    "sethostname",
    "pivotRoot",
    "chroot",
    "setns",
    "lsetxattr",
  ]);
  assert.deepEqual(k.failed, [{ method: "chdir", args: ["/b"] }]);
});

Deno.test("keptFlags: reads nosuid/nodev/noexec/atime flags of one mount from mountinfo", () => {
  const mi = [
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
    "40 22 0:35 / /srv rw,nosuid,nodev,noexec,noatime - tmpfs tmpfs rw",
  ].join("\n");
  assert.equal(keptFlags(mi, 40), MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 /* MS_NOATIME */);
  assert.equal(keptFlags(mi, 22), 1 << 21 /* MS_RELATIME */);
  assert.equal(keptFlags(mi, 99), 0);
});
