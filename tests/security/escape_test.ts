/**
 * Escapes an attacker inside a container would try, through `tsbox run`
 * and `exec` on the real kernel: each must be refused with the errno
 * docker's defaults give. No host setting is changed.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedSecurityImage } from "./_fixture.ts";
import { waitRunning } from "../run/_containers.ts";

const NONE = ["--network", "none"];
/** docker's default capability set, as /proc/PID/status prints it. */
const DOCKER_CAPS = "00000000a80425fb";

async function sh(root: string, script: string, flags: string[] = []) {
  return await tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "sh", "-c", script]);
}

function field(status: string, name: string): string {
  return new RegExp(`^${name}:\\s*(\\S+)$`, "m").exec(status)?.[1] ?? "";
}

Deno.test("security: PID 1 has docker's capability set, no ambient or inheritable", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(root, "cat /proc/1/status");
    assertEquals(r.code, 0, r.stderr);
    for (const f of ["CapEff", "CapPrm", "CapBnd"]) assertEquals(field(r.stdout, f), DOCKER_CAPS);
    assertEquals(field(r.stdout, "CapInh"), "0000000000000000");
    assertEquals(field(r.stdout, "CapAmb"), "0000000000000000");
  });
});

Deno.test("security: a non-root user keeps the bounding set only", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(root, "cat /proc/self/status", ["-u", "65534"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(field(r.stdout, "CapEff"), "0000000000000000");
    assertEquals(field(r.stdout, "CapPrm"), "0000000000000000");
    assertEquals(field(r.stdout, "CapBnd"), DOCKER_CAPS);
  });
});

Deno.test("security: masks and read-only /proc/sys cannot be undone", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(
      root,
      [
        "cat /proc/keys | wc -c",
        "/escape umount /proc/keys",
        "/escape umount /proc/sys",
        "/escape remount_rw /proc/sys",
        "/escape remount_rw /sys",
        "/escape mount_proc",
        "/escape open /proc/sys/kernel/core_pattern w",
        "ls /sys/firmware | wc -l",
      ].join("; "),
    );
    assertEquals(r.stdout.split("\n").slice(0, 8), [
      "0",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EROFS",
      "0",
    ], r.stderr);
  });
});

Deno.test("security: cgroupfs, open_by_handle_at, bpf, perf, user namespaces are refused", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(
      root,
      "for t in mount_cgroup open_by_handle bpf_map perf_cpu unshare_user; do /escape $t; done",
    );
    assertEquals(r.stdout.trim().split("\n"), [
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
      "ERR EPERM",
    ], r.stderr);
  });
});

Deno.test("security: mknod is allowed, opening a device outside the list is not", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(
      root,
      "/escape mknod_open /tmp/kmsg 1 11; /escape mknod_open /tmp/null 1 3; /escape open /dev/kmsg",
    );
    assertEquals(r.stdout.trim().split("\n"), ["ERR EPERM", "OK", "ERR ENOENT"], r.stderr);
  });
});

Deno.test("security: --device passes a host device through; others stay refused", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(root, "/escape open /dev/fuse; /escape mknod_open /tmp/kmsg 1 11", [
      "--device",
      "/dev/fuse",
    ]);
    assertEquals(r.stdout.trim().split("\n"), ["OK", "ERR EPERM"], r.stderr);
  });
});

Deno.test("security: each container joins a fresh session keyring (seccomp off to look)", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await tsbox(root, [
      "run",
      "-d",
      ...NONE,
      "--security-opt",
      "seccomp=unconfined",
      "--name",
      "kr",
      "busybox",
      "sleep",
      "60",
    ]);
    const id = r.stdout.trim();
    try {
      await waitRunning(root, "kr");
      const k = await tsbox(root, ["exec", id, "/escape", "keyring"]);
      const own = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "/escape", "keyring"]);
      assertMatch(k.stdout, new RegExp(`^OK keyring;0;0;[0-9a-f]+;_ses\\.${id}\\n`));
      assertEquals(own.stdout, "ERR EPERM\n", "the default seccomp profile refuses keyctl");
    } finally {
      await tsbox(root, ["rm", "-f", id]);
    }
  });
});

Deno.test("security: exec'd process gets the container's caps; the helper is never inside", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await tsbox(root, ["run", "-d", ...NONE, "--name", "ex", "busybox", "sleep", "60"]);
    const id = r.stdout.trim();
    try {
      await waitRunning(root, "ex");
      const e = await tsbox(root, [
        "exec",
        id,
        "sh",
        "-c",
        "cat /proc/self/status; for p in /proc/[0-9]*; do readlink $p/exe; cat $p/cmdline; echo; done",
      ]);
      assertEquals(e.code, 0, e.stderr);
      for (const f of ["CapEff", "CapBnd"]) assertEquals(field(e.stdout, f), DOCKER_CAPS);
      assert(!/deno|__exec|tsbox/.test(e.stdout.split("Seccomp")[1] ?? e.stdout), e.stdout);
      const priv = await tsbox(root, [
        "exec",
        "--privileged",
        id,
        "grep",
        "CapEff",
        "/proc/self/status",
      ]);
      assert(!priv.stdout.includes(DOCKER_CAPS), "exec --privileged widens the set");
      const u = await tsbox(root, [
        "exec",
        "-u",
        "65534",
        id,
        "grep",
        "CapEff",
        "/proc/self/status",
      ]);
      assertStringIncludes(u.stdout, "0000000000000000");
    } finally {
      await tsbox(root, ["rm", "-f", id]);
    }
  });
});

Deno.test("security: --cap-add SYS_ADMIN mounts, --cap-drop ALL cannot chown, --privileged can", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const add = await sh(root, "mount -t tmpfs t /tmp && echo mounted", [
      "--cap-add",
      "sys_admin",
      "--security-opt",
      "seccomp=unconfined",
    ]);
    assertEquals(add.stdout, "mounted\n", add.stderr);
    const drop = await sh(root, "chown 1 /tmp", ["--cap-drop", "ALL"]);
    assertEquals(drop.code, 1);
    assertStringIncludes(drop.stderr, "Operation not permitted");
    const priv = await sh(root, "mount -t tmpfs t /tmp && /escape open /dev/kmsg && echo ok", [
      "--privileged",
    ]);
    assertEquals(priv.stdout, "OK\nok\n", priv.stderr);
  });
});

Deno.test("security: --read-only makes / EROFS, volumes and tmpfs stay writable", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(root, "touch /x; touch /tmp/t && touch /v/f && echo writable", [
      "--read-only",
      "--tmpfs",
      "/tmp",
      "-v",
      "vol:/v",
    ]);
    assertStringIncludes(r.stderr, "Read-only file system");
    assertEquals(r.stdout, "writable\n");
  });
});

Deno.test("security: bad flags exit 125 with one line and create nothing", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const cases: [string[], string][] = [
      [["--cap-add", "FOO"], `unknown capability: "CAP_FOO"`],
      [["--sysctl", "kernel.core_pattern=x"], "not namespaced"],
      [["--sysctl", "net.ipv4.ip_forward=1", "--network", "host"], "host network namespace"],
      [["--security-opt", "bogus=1"], "invalid --security-opt"],
      [["--ulimit", "nofile=10:5"], "soft limit must be less than or equal"],
      [["--device", "/dev/nope"], "no such device"],
      [["--cgroupns", "maybe"], "invalid cgroup namespace mode"],
    ];
    for (const [flags, msg] of cases) {
      const r = await tsbox(root, ["run", "--rm", ...flags, "busybox", "true"]);
      assertEquals(r.code, 125, flags.join(" "));
      assertStringIncludes(r.stderr, msg);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const ps = await tsbox(root, ["ps", "-aq"]);
    assertEquals(ps.stdout, "");
  });
});

Deno.test("security: namespaced --sysctl and --ulimit reach the container", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(root, "cat /proc/sys/kernel/shmmni; ulimit -n", [
      "--sysctl",
      "kernel.shmmni=1234",
      "--ulimit",
      "nofile=512:1024",
    ]);
    assertEquals(r.stdout, "1234\n512\n", r.stderr);
  });
});

const FLAGS = ["ro", "nosuid", "nodev", "noexec"];

Deno.test("security: /sys/fs/cgroup shows only the container's cgroup, read-only", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const r = await sh(
      root,
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup/memory | grep -c tsbox-; " +
        "/escape open /sys/fs/cgroup/memory/cgroup.procs w; grep memory /proc/self/cgroup; " +
        "grep ' /sys/fs/cgroup' /proc/self/mountinfo",
      ["-m", "64m", "--cgroupns", "private"],
    );
    const [limit, nested, write, own, ...mounts] = r.stdout.trim().split("\n");
    assertEquals(limit, String(64 * 1024 * 1024), r.stderr);
    assertEquals(nested, "0", "no other container's cgroup is visible");
    assertEquals(write, "ERR EROFS");
    assertMatch(own, /:memory:\/$/, "private cgroupns: the container's cgroup is its root");
    // the tmpfs and each controller's bind: read-only, nosuid, nodev, noexec (as runc's)
    assert(mounts.length > 1, r.stdout);
    for (const m of mounts) assertEquals(m.split(" ")[5].split(",").slice(0, 4), FLAGS, m);
  });
});

Deno.test("security: inspect shows the security flags as docker's HostConfig", async () => {
  await withRoot(async (root) => {
    await seedSecurityImage(root);
    const c = await tsbox(root, [
      "create",
      ...NONE,
      "--cap-add",
      "net_admin",
      "--cap-drop",
      "CHOWN",
      "--read-only",
      "--security-opt",
      "no-new-privileges",
      "--device",
      "/dev/fuse:/dev/f:rw",
      "busybox",
    ]);
    assertEquals(c.code, 0, c.stderr);
    const r = await tsbox(root, ["inspect", c.stdout.trim()]);
    const h = JSON.parse(r.stdout)[0].HostConfig;
    assertEquals(h.CapAdd, ["CAP_NET_ADMIN"]);
    assertEquals(h.CapDrop, ["CAP_CHOWN"]);
    assertEquals(h.Privileged, false);
    assertEquals(h.ReadonlyRootfs, true);
    assertEquals(h.SecurityOpt, ["no-new-privileges"]);
    assertEquals(h.Devices, [
      { PathOnHost: "/dev/fuse", PathInContainer: "/dev/f", CgroupPermissions: "rw" },
    ]);
    await tsbox(root, ["rm", c.stdout.trim()]);
  });
});
