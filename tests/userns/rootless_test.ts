/**
 * Rootless tsbox: a real unprivileged user (made with useradd, removed
 * after) runs tsbox without sudo. Container root is the user; the user's
 * subordinate ids are the rest.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { makeBusyboxTar } from "../helpers/busybox.ts";
import { asUser, processesOf, type TestUser, withTestUser } from "./_rootless_user.ts";
import { freePort, startRegistry } from "../helpers/registry.ts";
import { tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedLayered } from "./_layers.ts";

const USER = "tsbox-rootless-t";

async function ok(u: TestUser, args: string[]): Promise<string> {
  const r = await asUser(u, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A busybox image tar the user can read, with a dir of uid 1000. */
function imageTar(u: TestUser): string {
  const tar = join(u.home, "busybox.tar");
  makeBusyboxTar(tar, (dir) => {
    Deno.mkdirSync(join(dir, "home/user"), { recursive: true });
    Deno.chownSync(join(dir, "home/user"), 1000, 1000);
  });
  Deno.chownSync(tar, u.uid, u.gid);
  return tar;
}

Deno.test("rootless: an ordinary user runs containers with volumes, exec, logs, stop, rm", async () => {
  await withTestUser(USER, async (u) => {
    await ok(u, ["import", imageTar(u), "busybox"]);
    const first = await ok(u, [
      "run",
      "--network",
      "none",
      "-v",
      "data:/data",
      "busybox",
      "sh",
      "-c",
      "id; cat /proc/self/uid_map; echo kept > /data/f",
    ]);
    const lines = first.trim().split("\n");
    assertMatch(lines[0], /^uid=0\(root\) gid=0\(root\)/);
    assertEquals(lines[1].trim().split(/\s+/).map(Number), [0, u.uid, 1]);
    assertEquals(lines[2].trim().split(/\s+/).map(Number), [1, u.subStart, 65535]);
    const seen = await ok(u, [
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      "data:/data",
      "busybox",
      "cat",
      "/data/f",
    ]);
    assertEquals(seen, "kept\n");
    // on the host: state in ~/.local/share/tsbox, files of container root are the user's,
    // and image files of uid 1000 belong to the user's subordinate id 1000-1+start
    const state = join(u.home, ".local/share/tsbox");
    assertEquals(Deno.statSync(join(state, "volumes/data/_data/f")).uid, u.uid);
    const layers = [...Deno.readDirSync(join(state, "image/layers"))].map((e) => e.name);
    const owners = layers.map((l) => {
      try {
        return Deno.statSync(join(state, "image/layers", l, "home/user")).uid;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
    }).filter((x) => x !== undefined);
    assertEquals(owners, [u.subStart + 999]);

    await ok(u, [
      "run",
      "-d",
      "--name",
      "web",
      "--network",
      "none",
      "busybox",
      "sh",
      "-c",
      "echo hello; exec sleep 60",
    ]);
    const ex = await ok(u, [
      "exec",
      "web",
      "sh",
      "-c",
      "id -u; cat /proc/1/cmdline | tr '\\0' ' '",
    ]);
    assertEquals(ex, "0\nsleep 60 ");
    assertStringIncludes(await ok(u, ["logs", "web"]), "hello");
    const pid = Number((await ok(u, ["inspect", "-f", "{{.State.Pid}}", "web"])).trim());
    const hostUid = Number(/^Uid:\s+(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]);
    assertEquals(hostUid, u.uid);
    await ok(u, ["stop", "-t", "1", "web"]);
    await ok(u, ["rm", "web"]);
    await ok(u, ["rm", "-f", ...(await ok(u, ["ps", "-aq"])).trim().split("\n").filter(Boolean)]);
    await ok(u, ["volume", "rm", "data"]);
    await ok(u, ["rmi", "busybox"]);
    assertEquals((await ok(u, ["ps", "-aq"])).trim(), "");
    // the user's images are not root's: root's default store never saw them
    assert(!processesOf(u.uid).some((p) => p.includes("__init") || p.includes("__monitor")));
  });
});

Deno.test("rootless: limits, bridge and --userns are refused with one line; no ranges says what to add", async () => {
  await withTestUser(USER, async (u) => {
    await ok(u, ["import", imageTar(u), "busybox"]);
    for (
      const [flags, msg] of [
        [["-m", "10m", "--network", "none"], /rootless: --memory needs a delegated cgroup v2/],
        [["--pids-limit", "5", "--network", "none"], /rootless: --pids-limit/],
        [["--network", "mynet"], /rootless: the network "mynet" is a bridge, which needs root/],
        [["--userns=auto", "--network", "none"], /already runs in your user namespace/],
      ] as [string[], RegExp][]
    ) {
      const r = await asUser(u, ["run", "--rm", ...flags, "busybox", "true"]);
      assertEquals(r.code, 125, `${flags}: ${r.stderr}`);
      assertMatch(r.stderr, msg);
      assertEquals(r.stderr.trim().split("\n").filter((l) => !l.startsWith("hint:")).length, 1);
    }
    assertEquals((await ok(u, ["ps", "-aq"])).trim(), "");
  });
  await withTestUser(USER, async (u) => {
    const r = await asUser(u, ["ps"]);
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(
      r.stderr,
      `rootless tsbox needs subordinate ids for ${USER} in /etc/subuid`,
    );
    assertStringIncludes(r.stderr, "usermod --add-subuids");
  }, { ranges: false });
});

Deno.test("rootless: pull and load work, and whiteouts and opaque dirs give the rootful tree", async () => {
  const reg = await startRegistry();
  try {
    await withRoot(async (root) => {
      await seedLayered(root);
      const ref = `${reg.host}/tsbox/layered:v1`;
      assertEquals((await tsbox(root, ["tag", "layered", ref])).code, 0);
      const pushed = await tsbox(root, ["push", ref]);
      assertEquals(pushed.code, 0, pushed.stderr);
      const list = "find /d /home /bin/busybox -exec stat -c '%n %u %g %a' {} + | sort";
      const rootful = await tsbox(root, [
        "run",
        "--rm",
        "--network",
        "none",
        "layered",
        "sh",
        "-c",
        list,
      ]);
      assertEquals(rootful.code, 0, rootful.stderr);
      await withTestUser(USER, async (u) => {
        const tar = join(u.home, "layered.tar");
        const saved = await tsbox(root, ["save", "-o", tar, "layered"]);
        assertEquals(saved.code, 0, saved.stderr);
        Deno.chownSync(tar, u.uid, u.gid);
        await ok(u, ["load", "-i", tar]);
        assertEquals(
          await ok(u, ["run", "--rm", "--network", "none", "layered", "sh", "-c", list]),
          rootful.stdout,
        );
        await ok(u, ["pull", ref]);
        const pulled = await ok(u, ["run", "--rm", "--network", "none", ref, "sh", "-c", list]);
        assertEquals(pulled, rootful.stdout);
        await ok(u, ["rmi", "layered", ref]);
      });
    });
  } finally {
    await reg.stop();
  }
});

/** Run `fn` with /dev/net/tun usable by an ordinary user (udev's usual 0666), restored after. */
async function withOpenTun<T>(fn: () => Promise<T>): Promise<T> {
  const mode = Deno.statSync("/dev/net/tun").mode! & 0o777;
  Deno.chmodSync("/dev/net/tun", 0o666);
  try {
    return await fn();
  } finally {
    Deno.chmodSync("/dev/net/tun", mode);
  }
}

Deno.test("rootless: the default network is user-mode; -p publishes, outbound reaches the host", async () => {
  await withOpenTun(() =>
    withTestUser(USER, async (u) => {
      await ok(u, ["import", imageTar(u), "busybox"]);
      // a server on the host's loopback, for the container to reach through 10.0.2.2
      const ac = new AbortController();
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
        () => new Response("outbound-ok\n"),
      );
      const hostPort = server.addr.port;
      const pub = freePort();
      try {
        // the README's main command, as an ordinary user with the default network
        const main = await ok(u, [
          "run",
          "-v",
          "data:/data",
          "busybox",
          "sh",
          "-c",
          "id -u; ip -o addr show tap0; echo kept > /data/f",
        ]);
        assertStringIncludes(main, "0\n");
        assertStringIncludes(main, "inet 10.0.2.100/24");
        await ok(u, [
          "run",
          "-d",
          "--name",
          "web",
          "-p",
          `127.0.0.1:${pub}:80`,
          "busybox",
          "sh",
          "-c",
          "mkdir /w && echo served-rootless > /w/index.html && exec httpd -f -p 80 -h /w",
        ]);
        let body = "";
        for (let i = 0; i < 100 && !body; i++) {
          try {
            body = await (await fetch(`http://127.0.0.1:${pub}/index.html`)).text();
          } catch (err) {
            // httpd not listening yet: the container just started
            if (!(err instanceof TypeError)) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        assertEquals(body, "served-rootless\n");
        const out = await ok(u, [
          "run",
          "--rm",
          "--network",
          "slirp4netns:allow_host_loopback=true",
          "busybox",
          "wget",
          "-q",
          "-O",
          "-",
          `http://10.0.2.2:${hostPort}/`,
        ]);
        assertEquals(out, "outbound-ok\n");
        // without the option the host's loopback is not reachable (podman's default)
        const closed = await asUser(u, [
          "run",
          "--rm",
          "busybox",
          "wget",
          "-q",
          "-O",
          "-",
          `http://10.0.2.2:${hostPort}/`,
        ]);
        assert(closed.code !== 0, closed.stdout);
        await ok(u, ["rm", "-f", "web"]);
        assert(!processesOf(u.uid).some((p) => p.includes("slirp4netns")), "slirp4netns left");
      } finally {
        ac.abort();
        await server.finished;
      }
    })
  );
});
