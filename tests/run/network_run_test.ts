/**
 * Networking through `tsbox run` (CNI plugins, real kernel). Traffic stays
 * on this host: loopback and the namespaces the containers create.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { tsbox, tsboxArgv, withRoot } from "../helpers/tsbox.ts";
import { seedImage } from "./_image.ts";
import { forceCleanup, waitRunning } from "./_containers.ts";

const withWebRoot = (dir: string) => {
  Deno.mkdirSync(`${dir}/www`);
  Deno.writeTextFileSync(`${dir}/www/index.html`, "hello from tsbox\n");
};

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function iptablesRules(): string {
  const run = (args: string[]) =>
    new TextDecoder().decode(
      new Deno.Command("iptables", { args, stdout: "piped" }).outputSync().stdout,
    );
  return run(["-t", "nat", "-S"]) + run(["-S"]);
}

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return await r.text();
}

Deno.test("run --network NAME: a container reaches another by name", async () => {
  await withRoot(async (root) => {
    await seedImage(root, "web", {}, withWebRoot);
    assertEquals((await tsbox(root, ["network", "create", "testnet"])).code, 0);
    const server = tsbox(root, [
      "run",
      "--rm",
      "--name",
      "websrv",
      "--network",
      "testnet",
      "web",
      "httpd",
      "-f",
      "-p",
      "80",
      "-h",
      "/www",
    ]);
    try {
      const { pid } = await waitRunning(root, "websrv");
      try {
        const c = await tsbox(root, [
          "run",
          "--rm",
          "--network",
          "testnet",
          "web",
          "sh",
          "-c",
          "cat /etc/hosts; timeout 5 wget -qO- http://websrv/index.html",
        ]);
        assertStringIncludes(c.stdout, "websrv");
        assertStringIncludes(c.stdout, "hello from tsbox", c.stderr);
      } finally {
        Deno.kill(pid, "SIGKILL");
      }
      assertEquals((await server).code, 137);
    } finally {
      await server.catch(() => undefined);
      await tsbox(root, ["network", "rm", "testnet"]);
    }
  });
});

Deno.test("run -p: the host fetches a published port at 127.0.0.1; closed and rule-free after exit", async () => {
  await withRoot(async (root) => {
    await seedImage(root, "web", {}, withWebRoot);
    const port = freePort();
    const server = tsbox(root, [
      "run",
      "--rm",
      "-p",
      `127.0.0.1:${port}:80`,
      "web",
      "httpd",
      "-f",
      "-p",
      "80",
      "-h",
      "/www",
    ]);
    let id = "";
    try {
      const started = await waitRunning(root);
      id = started.id;
      let text = "";
      for (let i = 0; i < 50 && !text; i++) {
        try {
          text = await fetchText(`http://127.0.0.1:${port}/index.html`);
        } catch (err) {
          // httpd may not be listening yet
          if (!(err instanceof TypeError) && !(err instanceof DOMException)) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assertEquals(text, "hello from tsbox\n");
      Deno.kill(started.pid, "SIGKILL");
      await server;
    } finally {
      await server.catch(() => undefined);
      await tsbox(root, ["network", "rm", "bridge"]);
    }
    let refused = false;
    try {
      await fetchText(`http://127.0.0.1:${port}/`);
    } catch (err) {
      refused = err instanceof TypeError;
    }
    assert(refused, "port still answers after the container exited");
    const rules = iptablesRules();
    assert(
      !rules.includes(String(port)) || !rules.includes(`--dport ${port}`),
      `rule for ${port} left`,
    );
    assert(!rules.includes(id.slice(0, 12)), "rule of the container left");
  });
});

Deno.test("run --network none has only lo; --network host sees the host's interfaces", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const none = await tsbox(root, [
      "run",
      "--rm",
      "--network",
      "none",
      "busybox",
      "ls",
      "/sys/class/net",
    ]);
    assertEquals(none.stdout.trim(), "lo");
    const host = await tsbox(root, [
      "run",
      "--rm",
      "--network",
      "host",
      "busybox",
      "ls",
      "/sys/class/net",
    ]);
    const hostIfs = [...Deno.readDirSync("/sys/class/net")].map((e) => e.name).sort();
    assertEquals(host.stdout.trim().split(/\s+/).sort(), hostIfs);
  });
});

Deno.test("run: 10 containers in parallel on one network get 10 distinct IPs", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    assertEquals((await tsbox(root, ["network", "create", "par"])).code, 0);
    try {
      const rs = await Promise.all(
        Array.from({ length: 10 }, () =>
          tsbox(root, [
            "run",
            "--rm",
            "--network",
            "par",
            "busybox",
            "sh",
            "-c",
            "ip -4 -o addr show eth0 | awk '{print $4}'",
          ])),
      );
      const ips = rs.map((r) => {
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /^\d+\.\d+\.\d+\.\d+\/\d+\n$/);
        return r.stdout.trim();
      });
      assertEquals(new Set(ips).size, 10);
    } finally {
      assertEquals((await tsbox(root, ["network", "rm", "par"])).code, 0);
    }
  });
});

Deno.test("run: tsbox SIGKILLed during a bridged run, then rm -f → no veth, lease or rule left", async () => {
  await withRoot(async (root) => {
    await seedImage(root);
    const port = freePort();
    const cli = new Deno.Command(Deno.execPath(), {
      args: tsboxArgv(root, [
        "run",
        "--name",
        "netvictim",
        "-p",
        `127.0.0.1:${port}:80`,
        "busybox",
        "sleep",
        "60",
      ]),
      stdout: "null",
      stderr: "null",
    }).spawn();
    let id = "";
    let pid = 0;
    try {
      ({ id, pid } = await waitRunning(root, "netvictim"));
      const cfg = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/container.json`));
      const att = cfg.network.attachment;
      assert(att?.ip, "the container got an address");
      const bridgePorts = () => linksOnBridge(att.bridge);
      assertEquals(bridgePorts().length, 1, "one veth on the bridge");
      cli.kill("SIGKILL");
      await cli.status;
      const rm = await tsbox(root, ["rm", "-f", "netvictim"]);
      assertEquals(rm.code, 0, rm.stderr);
      assertEquals(bridgePorts(), [], "veth left on the bridge");
      const leases = new TextDecoder().decode(
        new Deno.Command("grep", { args: ["-rl", id, `${root}/networks`], stdout: "piped" })
          .outputSync().stdout,
      );
      assertEquals(leases.trim(), "", "lease or record of the container left");
      const rules = iptablesRules();
      assert(
        !rules.includes(`--dport ${port} `) && !rules.includes(id.slice(0, 12)) &&
          !rules.includes(`${att.ip}/32`),
        "iptables rule left",
      );
    } finally {
      await cli.status;
      if ((await tsbox(root, ["rm", "-f", "netvictim"])).code !== 0) await forceCleanup(id, pid);
      await tsbox(root, ["network", "rm", "bridge"]);
    }
  });
});

/** Interfaces enslaved to `bridge` (the containers' host-side veths). */
function linksOnBridge(bridge: string): string[] {
  const out = new Deno.Command("ip", {
    args: ["-j", "link", "show", "master", bridge],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!out.success) return [];
  return (JSON.parse(new TextDecoder().decode(out.stdout) || "[]") as { ifname: string }[]).map((
    l,
  ) => l.ifname);
}
