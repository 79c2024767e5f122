/**
 * `tsbox run` against the real kernel (root): namespaces, filesystem,
 * image config, flags, exit codes, signals, stdio. Every test uses its own
 * temporary state root and `--network none` unless it tests networking.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { MAIN, tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { pathExists, waitRunning } from "./_containers.ts";

const NONE = ["--network", "none"];

async function runSh(root: string, script: string, flags: string[] = []) {
  return await tsbox(root, ["run", "--rm", ...NONE, ...flags, "busybox", "sh", "-c", script]);
}

Deno.test("run: hostname, PID 1, lo up, own mount table without host mounts", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await runSh(
      root,
      "hostname; echo pid=$$; ip link show lo; cat /proc/self/mountinfo",
      ["--hostname", "box1"],
    );
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "box1");
    assertEquals(lines[1], "pid=1");
    assertMatch(r.stdout, /lo: <LOOPBACK,UP/);
    const mountpoints = lines.slice(2).filter((l) => /^\d+ \d+ /.test(l)).map((l) =>
      l.split(" ")[4]
    );
    assertEquals(mountpoints[0], "/");
    for (const m of mountpoints) {
      assert(!m.startsWith(root) && !m.startsWith("/work") && !m.startsWith("/tmp/"), m);
    }
    assert(
      !Deno.readTextFileSync("/proc/self/mountinfo").includes(root),
      "nothing mounted on the host",
    );
  });
});

Deno.test("run: default hostname is the short id; own PID namespace shows few processes", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await runSh(root, "hostname; ps -o pid | wc -l");
    assertEquals(r.code, 0, r.stderr);
    const [host, count] = r.stdout.trim().split("\n");
    assertMatch(host, /^[0-9a-f]{12}$/);
    assert(Number(count) <= 4, `processes visible: ${count}`);
  });
});

Deno.test("run: writes go to the container's upper dir only", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const w = await runSh(root, "echo secret > /etc/written; rm /bin/vi; cat /etc/written");
    assertEquals(w.stdout, "secret\n", w.stderr);
    const r = await runSh(
      root,
      "test -e /etc/written && echo seen || echo absent; test -e /bin/vi && echo vi",
    );
    assertEquals(r.stdout, "absent\nvi\n", r.stderr);
    const layers = [...Deno.readDirSync(`${root}/image/layers`)];
    for (const l of layers) {
      assert(!pathExists(`${root}/image/layers/${l.name}/etc/written`), "image layer was modified");
    }
  });
});

Deno.test("run: image Env, Entrypoint, Cmd, WorkingDir and User are honoured", async () => {
  await withRoot(async (root) => {
    await seedImage(root, "cfg", {
      Env: ["PATH=/bin", "FOO=from-image"],
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ['echo "$FOO $(pwd) $(id -u):$(id -g) $HOME"'],
      WorkingDir: "/srv/app",
      User: "user",
    });
    const r = await tsbox(root, ["run", "--rm", ...NONE, "cfg"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "from-image /srv/app 1000:1000 /home/user\n");
    // flags override: -e, -w, -u, args replace Cmd
    const o = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "-e",
      "FOO=flag",
      "-eBAR=2",
      "-w",
      "/tmp",
      "-u",
      "0:50",
      "cfg",
      'echo "$FOO $BAR $(pwd) $(id -u):$(id -g)"',
    ]);
    assertEquals(o.stdout, "flag 2 /tmp 0:50\n", o.stderr);
    // --entrypoint replaces the entrypoint and clears the image Cmd
    const e = await tsbox(root, ["run", "--rm", ...NONE, "--entrypoint", "/bin/echo", "cfg", "hi"]);
    assertEquals(e.stdout, "hi\n", e.stderr);
  });
});

Deno.test("run: --env-file and host passthrough of -e NAME", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const f = Deno.makeTempFileSync();
    try {
      Deno.writeTextFileSync(f, "# comment\nA=1\nB=two words\n");
      const r = await tsbox(root, [
        "run",
        "--rm",
        ...NONE,
        "--env-file",
        f,
        "-e",
        "HOSTVAR",
        "busybox",
        "sh",
        "-c",
        'echo "$A|$B|$HOSTVAR"',
      ], {
        env: { HOSTVAR: "passed" },
      });
      assertEquals(r.stdout, "1|two words|passed\n", r.stderr);
    } finally {
      Deno.removeSync(f);
    }
  });
});

Deno.test("run: exit codes 0, 3, 125, 126, 127", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    assertEquals((await runSh(root, "exit 0")).code, 0);
    assertEquals((await runSh(root, "exit 3")).code, 3);
    const bad = await tsbox(root, ["run", "--no-such-flag", "busybox"]);
    assertEquals(bad.code, 125);
    assertStringIncludes(bad.stderr, "unknown flag: --no-such-flag");
    const missing = await tsbox(root, ["run", "--rm", "--pull", "never", ...NONE, "nosuchimage"]);
    assertEquals(missing.code, 125);
    assertStringIncludes(missing.stderr, "No such image");
    const notExec = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "/etc/passwd"]);
    assertEquals(notExec.code, 126, notExec.stderr);
    const notFound = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "no-such-command"]);
    assertEquals(notFound.code, 127);
    assertStringIncludes(notFound.stderr, "executable file not found");
    // nothing half-created was left by the failures
    assertEquals([...Deno.readDirSync(`${root}/containers`)].length, 0);
  });
});

Deno.test("run: killed by SIGKILL → 137; SIGTERM to tsbox is forwarded", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const p = tsbox(root, ["run", "--rm", ...NONE, "busybox", "sleep", "60"]);
    const pid = (await waitRunning(root)).pid;
    Deno.kill(pid, "SIGKILL");
    assertEquals((await p).code, 137);

    const cmd = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, [
        "run",
        "--rm",
        ...NONE,
        "busybox",
        "sh",
        "-c",
        'trap "exit 7" TERM; while true; do sleep 0.1; done',
      ]),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    (await waitRunning(root)).pid;
    await new Promise((r) => setTimeout(r, 300)); // let sh install its trap
    cmd.kill("SIGTERM");
    const st = await cmd.output();
    assertEquals(st.code, 7, new TextDecoder().decode(st.stderr));
  });
});

Deno.test("run: the command starts with no signal ignored or blocked (Deno ignores SIGPIPE)", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, [
      "run",
      "--rm",
      ...NONE,
      "busybox",
      "grep",
      "-E",
      "^Sig(Ign|Blk):",
      "/proc/self/status",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    // so a writer to a closed pipe dies of SIGPIPE, as in docker, instead of seeing EPIPE
    const pipe = await runSh(root, "(yes; echo yes-exited=$? >&2) | head -n 1");
    assertEquals(pipe.stdout, "y\n");
    assertStringIncludes(pipe.stderr, `yes-exited=${128 + 13}`);
  });
});

Deno.test("run: -i passes stdin; without -i stdin is empty; no host fds leak", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await tsbox(root, ["run", "--rm", "-i", ...NONE, "busybox", "cat"], {
      stdin: "piped-in\n",
    });
    assertEquals(r.stdout, "piped-in\n", r.stderr);
    const n = await tsbox(root, ["run", "--rm", ...NONE, "busybox", "cat"], { stdin: "ignored\n" });
    assertEquals(n.stdout, "");
    const fds = await runSh(root, "ls /proc/self/fd");
    assertEquals(fds.stdout.trim().split(/\s+/).sort(), ["0", "1", "2", "3"]); // 3 = ls's own dir fd
  });
});

Deno.test("run: -t session through a real pty echoes input and exits cleanly", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const inner = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MAIN,
      "--root",
      root,
      "run",
      "--rm",
      "-it",
      ...NONE,
      "busybox",
      "sh",
    ]
      .map((a) => `'${a}'`).join(" ");
    const script = new Deno.Command("script", {
      args: ["-qec", inner, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = script.stdin.getWriter();
    await w.write(new TextEncoder().encode("echo pty-$((6*7))\ntty\nexit 4\n"));
    const timer = setTimeout(() => script.kill("SIGKILL"), 30_000);
    const out = await script.output().finally(() => clearTimeout(timer));
    const text = new TextDecoder().decode(out.stdout);
    assertStringIncludes(text, "pty-42");
    assertMatch(text, /\/dev\/pts\/\d+/);
    assertEquals(out.code, 4, text);
  });
});

Deno.test("run: --rm leaves no container, mounts or cgroups behind", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const r = await runSh(root, "true", ["-m", "64m", "--pids-limit", "50"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals([...Deno.readDirSync(`${root}/containers`)].length, 0);
    assert(!Deno.readTextFileSync("/proc/self/mountinfo").includes(root));
  });
});
