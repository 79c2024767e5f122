/**
 * Shared namespaces through the CLI, as docker has them: `--pid
 * container:A` sees A's processes, `--ipc container:A` sees A's SysV
 * shared memory and A's very /dev/shm (A must be `--ipc shareable`), `--network container:A`
 * shares A's interfaces, hostname and /etc files, `--uts host` has the
 * host's hostname, `--pid host` the host's processes; a bad donor is one
 * line and exit 125 with nothing created. Requires root.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { assertNoLeaks, cli, containerIds, ok, stateOf } from "../container/_lifecycle.ts";

const NONE = ["--network", "none"];

/** busybox plus the host's ipcmk/ipcs (busybox-static has no SysV IPC applets) and their libs. */
function withIpcTools(dir: string): void {
  const files = ["/usr/bin/ipcmk", "/usr/bin/ipcs"];
  const ldd = new Deno.Command("ldd", { args: files, stdout: "piped" }).outputSync();
  const libs = new TextDecoder().decode(ldd.stdout).match(/\/\S+\.so[.0-9]*/g) ?? [];
  for (const f of [...files, ...new Set(libs)]) {
    if (f.startsWith("/usr/bin/") === false && !f.includes(".so")) continue;
    const target = `${dir}${f}`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    Deno.copyFileSync(Deno.realPathSync(f), target);
    Deno.chmodSync(target, 0o755);
  }
}

/** A root with busybox (+ ipc tools); every container is removed afterwards. */
function withTestRoot(fn: (root: string) => Promise<void>): Promise<void> {
  return withRoot(async (root) => {
    try {
      await seedImage(root, "busybox", {}, withIpcTools);
      await fn(root);
    } finally {
      const left = (await tsbox(root, ["ps", "-aq", "--no-trunc"])).stdout.split("\n")
        .filter(Boolean);
      if (left.length) await tsbox(root, ["rm", "-f", ...left]);
      assertNoLeaks(root, containerIds(root));
    }
  });
}

/** `run -d` a sleeper named `name`; returns its id. */
async function donor(root: string, name: string, flags: string[] = []): Promise<string> {
  const r = await ok(root, [
    "run",
    "-d",
    ...NONE,
    "--name",
    name,
    ...flags,
    "busybox",
    "sleep",
    "300",
  ]);
  return r.stdout.trim();
}

Deno.test("run --pid container:A: ps shows A's processes; A's PID 1 is its sleep", async () => {
  await withTestRoot(async (root) => {
    const a = await donor(root, "pa");
    const ps = ["ps", "-o", "pid,args"];
    const r = await ok(root, ["run", "--rm", ...NONE, "--pid", "container:pa", "busybox", ...ps]);
    const lines = r.stdout.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
    const pid1 = lines.find((f) => f[0] === "1");
    assert(pid1, `no PID 1 in ${r.stdout}`);
    assertEquals(pid1.slice(1).join(" "), "sleep 300");
    assert(lines.some((f) => f.slice(1).join(" ") === ps.join(" ")), r.stdout);
    // its own PID namespace shows only itself
    const own = await ok(root, ["run", "--rm", ...NONE, "busybox", ...ps]);
    assertEquals(own.stdout.trim().split("\n").length, 2, own.stdout);
    const info = JSON.parse((await ok(root, ["inspect", "pa"])).stdout)[0];
    assertEquals(info.HostConfig.PidMode, "");
    // the joiner stops with the donor: A's PID 1 ending ends its namespace
    const b = (await ok(root, cli("run -d --network none --pid container:pa busybox sleep 300")))
      .stdout.trim();
    const binfo = JSON.parse((await ok(root, ["inspect", b])).stdout)[0];
    assertEquals(binfo.HostConfig.PidMode, `container:${a}`);
    // a donor that could trace tsbox's init while it holds host mounts is refused
    await donor(root, "tracer", ["--cap-add", "SYS_PTRACE"]);
    const traced = await tsbox(
      root,
      cli("run --rm --network none --pid container:tracer busybox true"),
    );
    assertEquals(traced.code, 125);
    assertStringIncludes(traced.stderr, "CAP_SYS_PTRACE");
    // a privileged donor already holds more than the init: joined, as docker does
    await donor(root, "priv", ["--privileged"]);
    const joined = await tsbox(
      root,
      cli("run --rm --network none --pid container:priv busybox ps -o args"),
    );
    assertEquals(joined.code, 0, joined.stderr);
    assertStringIncludes(joined.stdout, "sleep 300");
    await ok(root, ["stop", "-t", "1", "pa"]);
    await ok(root, ["wait", b]);
    assertEquals(stateOf(root, b).status, "exited");
  });
});

Deno.test("run --pid host: the host's processes are visible", async () => {
  await withTestRoot(async (root) => {
    const r = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--pid",
      "host",
      "busybox",
      "sh",
      "-c",
      "echo $$; test -d /proc/" + Deno.pid + " && echo sees-host",
    ]);
    const [pid, seen] = r.stdout.trim().split("\n");
    assert(Number(pid) > 1, `not the host's pid: ${pid}`);
    assertEquals(seen, "sees-host");
  });
});

Deno.test("run --ipc container:A: a SysV shm segment made in A is seen by B", async () => {
  await withTestRoot(async (root) => {
    await donor(root, "ia", ["--ipc", "shareable"]);
    const made = await ok(root, ["exec", "ia", "ipcmk", "-M", "4096"]);
    const shmid = made.stdout.match(/id: (\d+)/)?.[1];
    assert(shmid, made.stdout);
    const seen = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--ipc",
      "container:ia",
      "busybox",
      "ipcs",
      "-m",
    ]);
    assertMatch(seen.stdout, new RegExp(`\\b${shmid}\\b.*\\b4096\\b`));
    // a private IPC namespace does not see it
    const own = await ok(root, ["run", "--rm", ...NONE, "busybox", "ipcs", "-m"]);
    assert(!new RegExp(`\\b${shmid}\\b.*\\b4096\\b`).test(own.stdout), own.stdout);
    // a private donor is refused, as docker does
    await donor(root, "priv");
    const before = containerIds(root).length;
    const bad = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "--ipc",
      "container:priv",
      "busybox",
      "true",
    ]);
    assertEquals(bad.code, 125);
    assertStringIncludes(bad.stderr, "non-shareable IPC");
    assertEquals(containerIds(root).length, before);
  });
});

/** The /dev/shm line of /proc/mounts in a container, and a marker for none. */
const SHM_LINE = "grep ' /dev/shm ' /proc/mounts || echo no-shm";

Deno.test("run --ipc container:A: A's /dev/shm is B's, both ways, with A's size; SysV still shared", async () => {
  await withTestRoot(async (root) => {
    const a = await donor(root, "sa", ["--ipc", "shareable", "--shm-size", "8m"]);
    await ok(root, ["exec", "sa", "sh", "-c", "echo from-a > /dev/shm/a-file"]);
    const made = await ok(root, ["exec", "sa", "ipcmk", "-M", "8192"]);
    const shmid = made.stdout.match(/id: (\d+)/)?.[1];
    assert(shmid, made.stdout);
    const b = (await ok(root, cli("run -d --network none --ipc container:sa busybox sleep 300")))
      .stdout.trim();
    // B reads A's file and A's SysV segment, and its /dev/shm is A's tmpfs (8m)
    const seen = await ok(root, [
      "exec",
      b,
      "sh",
      "-c",
      `cat /dev/shm/a-file; ${SHM_LINE}; ipcs -m`,
    ]);
    const [line1, line2] = seen.stdout.split("\n");
    assertEquals(line1, "from-a");
    assertMatch(line2, /^\S+ \/dev\/shm tmpfs \S*size=8192k/);
    assertMatch(seen.stdout, new RegExp(`\\b${shmid}\\b.*\\b8192\\b`));
    // and the other way: what B writes, A sees
    await ok(root, ["exec", b, "sh", "-c", "echo from-b > /dev/shm/b-file"]);
    assertEquals((await ok(root, ["exec", "sa", "cat", "/dev/shm/b-file"])).stdout, "from-b\n");
    // a one-shot joiner (tsbox run, foreground) too
    const once = await ok(
      root,
      cli("run --rm --network none --ipc container:sa busybox ls /dev/shm"),
    );
    assertEquals(once.stdout.split("\n").filter(Boolean).sort(), ["a-file", "b-file"]);
    // with A's PID namespace too (the init clones A's /dev/shm from inside it)
    const both = await ok(
      root,
      cli(
        "run --rm --network none --pid container:sa --ipc container:sa busybox cat /dev/shm/b-file",
      ),
    );
    assertEquals(both.stdout, "from-b\n");
    // its own private IPC namespace has its own, empty /dev/shm
    const own = await ok(root, cli("run --rm --network none busybox ls -A /dev/shm"));
    assertEquals(own.stdout, "");
    const info = JSON.parse((await ok(root, ["inspect", b])).stdout)[0];
    assertEquals(info.HostConfig.IpcMode, `container:${a}`);
    assertEquals(
      JSON.parse((await ok(root, ["inspect", "sa"])).stdout)[0].HostConfig.IpcMode,
      "shareable",
    );
  });
});

Deno.test("run --ipc container:A refusals: --shm-size, a stopped donor; one line, exit 125, nothing left", async () => {
  await withTestRoot(async (root) => {
    await donor(root, "ra", ["--ipc", "shareable"]);
    const before = containerIds(root);
    const conflict = await tsbox(
      root,
      cli("run --rm --network none --ipc container:ra --shm-size 1m busybox true"),
    );
    assertEquals([conflict.code, conflict.stderr], [
      125,
      "tsbox: conflicting options: shm-size and the container type IPC mode\n",
    ]);
    assertEquals(containerIds(root), before);
    // a donor that exists but is not running: docker's refusal at start (--rm removes the joiner)
    const stopped = (await ok(root, cli("create --network none --ipc shareable busybox")))
      .stdout.trim();
    const ids = containerIds(root);
    const r = await tsbox(
      root,
      cli(`run --rm --network none --ipc container:${stopped.slice(0, 12)} busybox true`),
    );
    assertEquals([r.code, r.stderr], [
      125,
      `tsbox: failed to join IPC namespace: container ${stopped} is not running\n`,
    ]);
    assertEquals(containerIds(root).sort(), ids.sort());
  });
});

Deno.test("run --ipc container:A: a /dev/shm A swapped for a symlink or unmounted is not followed", async () => {
  await withTestRoot(async (root) => {
    // only a donor with CAP_SYS_ADMIN can unmount its /dev/shm; the joiner must not follow
    // a symlink put in its place out of A's root (here: to the host's /etc via /proc/1/root)
    await donor(root, "la", ["--ipc", "shareable", "--privileged"]);
    await ok(root, [
      "exec",
      "la",
      "sh",
      "-c",
      "umount /dev/shm && rmdir /dev/shm && ln -s /proc/1/root/etc /dev/shm",
    ]);
    const link = await tsbox(
      root,
      cli("run --rm --network none --ipc container:la busybox ls /dev/shm"),
    );
    assertEquals(link.code, 125, link.stdout);
    assertEquals(
      link.stderr,
      "tsbox: the IPC donor's /dev/shm cannot be shared: too many levels of symbolic links (ELOOP)\n",
    );
    assertEquals(link.stdout, "");
    await ok(root, ["exec", "la", "sh", "-c", "rm /dev/shm && mkdir /dev/shm"]);
    const dir = await tsbox(root, cli("run --rm --network none --ipc container:la busybox true"));
    assertEquals([dir.code, dir.stderr], [
      125,
      "tsbox: the IPC donor's /dev/shm is not a mount: nothing to share\n",
    ]);
  });
});

Deno.test("run --uts host: the host's hostname; --hostname with it is refused", async () => {
  await withTestRoot(async (root) => {
    const host = Deno.hostname();
    const r = await ok(root, [
      "run",
      "--rm",
      ...NONE,
      "--uts",
      "host",
      "busybox",
      "sh",
      "-c",
      "hostname; cat /etc/hostname",
    ]);
    assertEquals(r.stdout, `${host}\n${host}\n`);
    assertEquals(Deno.hostname(), host); // untouched
    const bad = await tsbox(root, cli("run --rm --network none --uts host -h x busybox true"));
    assertEquals([bad.code, bad.stderr.trim()], [
      125,
      "tsbox: conflicting options: hostname and the UTS mode",
    ]);
  });
});

Deno.test("run --network container:A: A's loopback listener, hostname and /etc/hosts", async () => {
  await withTestRoot(async (root) => {
    const a = await donor(root, "na", ["-h", "donorhost"]);
    // A's network namespace: a file served by A on 127.0.0.1 is reached by B
    await ok(root, [
      "exec",
      "na",
      "sh",
      "-c",
      "mkdir -p /www && echo hello-from-a > /www/x && httpd -p 127.0.0.1:8080 -h /www",
    ]);
    const r = await ok(root, [
      "run",
      "--rm",
      "--network",
      "container:na",
      "busybox",
      "sh",
      "-c",
      "wget -qO- http://127.0.0.1:8080/x; hostname; grep -c donorhost /etc/hosts",
    ]);
    assertEquals(r.stdout.split("\n").slice(0, 2), ["hello-from-a", "donorhost"]);
    assert(Number(r.stdout.split("\n")[2]) >= 1, r.stdout);
    const b = (await ok(root, cli("create --network container:na busybox"))).stdout.trim();
    const info = JSON.parse((await ok(root, ["inspect", b])).stdout)[0];
    assertEquals(info.HostConfig.NetworkMode, `container:${a}`);
    const bad = await tsbox(root, cli("run --rm --network container:na -p 80 busybox true"));
    assertEquals(bad.code, 125);
    assertStringIncludes(bad.stderr, "port publishing and the container type network mode");
  });
});

Deno.test("run --pid/--ipc/--network container:NOSUCH: one line, exit 125, nothing created", async () => {
  await withTestRoot(async (root) => {
    for (const flag of ["--pid", "--ipc", "--network"]) {
      const r = await tsbox(root, ["run", "--rm", flag, "container:nosuch", "busybox", "true"]);
      assertEquals([r.code, r.stderr], [125, "tsbox: No such container: nosuch\n"], flag);
    }
    const bad = await tsbox(root, cli("run --rm --pid bogus busybox true"));
    assertEquals([bad.code, bad.stderr.split("\n")[0]], [125, "tsbox: invalid PID mode: bogus"]);
    assertEquals(containerIds(root), []);
    // a donor that exists but is not running: refused at start, as docker does
    await ok(root, cli("create --name stopped busybox"));
    const r = await tsbox(
      root,
      cli("run --rm --network none --pid container:stopped busybox true"),
    );
    assertEquals(r.code, 125);
    assertStringIncludes(r.stderr, "failed to join PID namespace: container ");
    assertStringIncludes(r.stderr, " is not running");
  });
});
