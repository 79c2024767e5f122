/**
 * Integration tests of CNI attach/detach with the real plugins
 * (containernetworking-plugins), as root. Traffic stays between the host's
 * loopback and namespaces these tests create.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { join } from "node:path";
import {
  attachNetwork,
  detachNetwork,
  parseNetworkFlags,
  prepareNetwork,
  writeEtcFiles,
} from "../../lib/net/mod.ts";
import { detachContainer, listAttachments } from "../../lib/net/mod.ts";
import { leasedIPs } from "../../lib/net/leases.ts";
import { netDirs } from "../../lib/net/store.ts";
import { isMountPoint } from "../../lib/net/netns_handle.ts";
import { NetworkError, UsageError } from "../../lib/errors.ts";
import {
  deleteNetns,
  fetchEventually,
  freePort,
  hostVeths,
  iptablesLinesWith,
  makeNetns,
  randomId,
  sh,
  startHttpd,
  tryFetch,
} from "./_netns.ts";
import { withNetwork } from "./_fixture.ts";
import { bridgesWithRules, FORWARD_CHAIN, NAT_CHAIN } from "../../lib/net/host_rules.ts";
import { splitRule } from "../../lib/net/iptables.ts";
import { conflistPath } from "../../lib/net/store.ts";
import type { Conflist } from "../../lib/net/conflist.ts";
import { readRecord } from "../../lib/net/records.ts";

const opts = (network: string, publish: string[] = []) =>
  parseNetworkFlags({ network, publish, dns: [], addHost: [] });

/** Assert nothing of container `id` (at `ip`) is left on the host. */
async function assertClean(root: string, network: string, id: string, ip: string): Promise<void> {
  assertEquals(await iptablesLinesWith(id), [], "iptables rules tagged with the container id");
  assertEquals(await iptablesLinesWith(`${ip}/32`), [], "iptables rules of the container IP");
  assert(!leasedIPs(join(root, "networks/ipam", network)).includes(ip), "lease released");
  assert(!isMountPoint(join(root, "networks/netns", id)), "netns handle unmounted");
}

Deno.test("attachNetwork: published port is reachable from the host at 127.0.0.1 and from another netns, closed after detach", async () => {
  await withNetwork("pubnet", async (f) => {
    const ns = await f.netns();
    const peer = await f.netns();
    const [p1, p2] = [freePort(), freePort()];
    const o = opts("pubnet", [`127.0.0.1:${p1}:80`, `${p2}:80/tcp`]);
    await prepareNetwork(f.paths, o);
    const id = randomId();
    const att = await attachNetwork(f.paths, {
      containerId: id,
      containerName: "web",
      hostname: "web",
      netnsPath: ns.path,
      opts: o,
    });
    assertMatch(att.ip, /^10\.\d+\.\d+\.\d+$/);
    assertEquals(att.ports.map((p) => p.hostPort), [p1, p2]);
    assertMatch(att.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    f.track(startHttpd(ns.name, join(f.root, "www"), "hello from the netns\n"));

    assertEquals(await fetchEventually(`http://127.0.0.1:${p1}/`), "hello from the netns\n");
    assertEquals(await tryFetch(`http://127.0.0.1:${p2}/`), "hello from the netns\n");
    // another netns on the same network reaches the port published on all addresses via the gateway
    const peerAtt = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "peer",
      hostname: "peer",
      netnsPath: peer.path,
      opts: opts("pubnet"),
    });
    // (busybox wget's own -T crashes; `timeout` bounds it instead)
    const viaGw = await sh("ip", [
      "netns",
      "exec",
      peer.name,
      "timeout",
      "5",
      "busybox",
      "wget",
      "-q",
      "-O",
      "-",
      `http://${att.gateway}:${p2}/`,
    ]);
    assertEquals(viaGw.out, "hello from the netns\n");
    await detachNetwork(f.paths, peerAtt);

    await detachNetwork(f.paths, att);
    assertEquals(
      await tryFetch(`http://127.0.0.1:${p1}/`, 1500),
      undefined,
      "port closed after detach",
    );
    await assertClean(f.root, "pubnet", id, att.ip);
    assertEquals(listAttachments(f.paths), []);
    // idempotent: a second detach is a no-op
    await detachNetwork(f.paths, att);
  });
});

Deno.test("attachNetwork: two netns on one user network reach each other and see each other in /etc/hosts", async () => {
  await withNetwork("usernet", async (f) => {
    const [a, b] = [await f.netns(), await f.netns()];
    const o = opts("usernet");
    const attA = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "alpha",
      hostname: "alpha",
      netnsPath: a.path,
      opts: o,
    });
    const attB = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "beta",
      hostname: "beta",
      netnsPath: b.path,
      opts: o,
    });
    const ping = await sh("ip", [
      "netns",
      "exec",
      a.name,
      "busybox",
      "ping",
      "-c",
      "1",
      "-W",
      "2",
      attB.ip,
    ]);
    assertEquals(ping.code, 0, ping.out);
    const dirA = join(f.root, "ctrA");
    const dirB = join(f.root, "ctrB");
    const filesA = writeEtcFiles(dirA, {
      hostname: "alpha",
      attachment: attA,
      opts: o,
      containerName: "alpha",
    });
    const inodeA = Deno.statSync(filesA.hosts).ino;
    writeEtcFiles(dirB, { hostname: "beta", attachment: attB, opts: o, containerName: "beta" });
    const hostsA = Deno.readTextFileSync(filesA.hosts);
    assert(hostsA.includes(`${attA.ip}\talpha\n`), hostsA);
    assert(hostsA.includes(`${attB.ip}\tbeta\n`), "A learns B when B joins: " + hostsA);
    assert(Deno.readTextFileSync(join(dirB, "hosts")).includes(`${attA.ip}\talpha\n`));
    await detachNetwork(f.paths, attB);
    const after = Deno.readTextFileSync(filesA.hosts);
    assert(!after.includes("beta"), "B removed from A's hosts after detach: " + after);
    assertEquals(Deno.statSync(filesA.hosts).ino, inodeA, "hosts file rewritten in place");
    await detachNetwork(f.paths, attA);
  });
});

Deno.test("attachNetwork: the network's own masquerade takes a container beyond the host; restored when flushed, gone with the network", async () => {
  const outside = await makeNetns(); // an upstream host that has no route back to the network
  const octet = 1 + Math.floor(Math.random() * 250);
  const hostEnd = `veth-up${octet}`;
  let bridge = "";
  try {
    await withNetwork("natnet", async (f) => {
      await sh("ip", [
        "link",
        "add",
        hostEnd,
        "type",
        "veth",
        "peer",
        "name",
        "up0",
        "netns",
        outside.name,
      ]);
      await sh("ip", ["addr", "add", `198.18.${octet}.1/30`, "dev", hostEnd]);
      await sh("ip", ["link", "set", hostEnd, "up"]);
      await sh("ip", ["-n", outside.name, "addr", "add", `198.18.${octet}.2/30`, "dev", "up0"]);
      await sh("ip", ["-n", outside.name, "link", "set", "up0", "up"]);
      f.track(startHttpd(outside.name, join(f.root, "www"), "upstream"));
      const attach = async (name: string) =>
        await attachNetwork(f.paths, {
          containerId: randomId(),
          containerName: name,
          hostname: name,
          netnsPath: (await f.netns()).path,
          opts: opts("natnet"),
        });
      const a = await attach("a");
      bridge = a.bridge;
      const ns = a.netnsPath;
      // (busybox wget's own -T crashes this busybox: a timeout(1) bounds it instead)
      const url = `http://198.18.${octet}.2/`;
      const fetchUp = () =>
        sh("nsenter", [`--net=${ns}`, "timeout", "3", "busybox", "wget", "-q", "-O", "-", url]);
      let got = await fetchUp();
      for (let i = 0; i < 20 && got.code !== 0; i++) got = await fetchUp(); // httpd starting
      assertEquals(got.out, "upstream");
      // one rule set for the network, none of the container's own; the jump leads FORWARD
      assert(await bridgesWithRules().then((b) => b.includes(a.bridge)));
      assertEquals(await iptablesLinesWith(a.containerId), []);
      assertEquals(await iptablesLinesWith(`${a.ip}/32`), []);
      const forward = (await sh("iptables", ["-S", "FORWARD"])).out.split("\n");
      assertEquals(forward[1], `-A FORWARD -j ${FORWARD_CHAIN}`);
      // without the masquerade the upstream cannot answer; the next attach puts it back
      const masq = (await sh("iptables", ["-t", "nat", "-S", NAT_CHAIN])).out.split("\n")
        .find((l) => l.includes(`tsbox:${a.bridge}:masquerade`))!;
      const del = await sh("iptables", ["-t", "nat", ...splitRule(masq.replace(/^-A /, "-D "))]);
      assertEquals(del.code, 0, del.out);
      assert((await fetchUp()).code !== 0, "reached the upstream with no masquerade");
      await attach("b");
      assertEquals((await fetchUp()).out, "upstream");
    });
    assert(bridge !== "" && !(await bridgesWithRules()).includes(bridge), "gone with the network");
  } finally {
    await deleteNetns(outside.name); // takes the veth pair with it
  }
});

Deno.test("attachNetwork: a network an older tsbox stored (per-container rules) is attached in the current shape", async () => {
  await withNetwork("oldnet", async (f) => {
    const path = conflistPath(f.paths, "oldnet");
    const list = JSON.parse(Deno.readTextFileSync(path)) as Conflist;
    const old = {
      ...list,
      plugins: [
        { ...list.plugins[0], ipMasq: true },
        ...list.plugins.slice(1, -1),
        { type: "firewall", backend: "iptables" },
        list.plugins[list.plugins.length - 1],
      ],
    };
    Deno.writeTextFileSync(path, JSON.stringify(old));
    const att = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "o",
      hostname: "o",
      netnsPath: (await f.netns()).path,
      opts: opts("oldnet"),
    });
    assertEquals(await iptablesLinesWith(att.containerId), [], "no masquerade chain of its own");
    assertEquals(await iptablesLinesWith(`${att.ip}/32`), [], "no firewall plugin rules");
    assert((await bridgesWithRules()).includes(att.bridge));
    const used = readRecord(att.recordPath)!.conflist;
    assertEquals(used.plugins.map((p) => p.type), ["bridge", "portmap", "tuning"]);
    assertEquals(used.plugins[0].ipMasq, false);
    await detachNetwork(f.paths, att);
    await assertClean(f.root, "oldnet", att.containerId, att.ip);
  });
});

Deno.test("attachNetwork: portmap and tuning run only when they have work, at the ADD and the DEL", async () => {
  await withNetwork("idlenet", async (f) => {
    // the real plugins, portmap and tuning behind a wrapper that logs each call
    const dir = join(f.root, "cni");
    const log = join(f.root, "calls.log");
    Deno.mkdirSync(dir);
    for (const p of ["bridge", "host-local"]) Deno.symlinkSync(`/usr/lib/cni/${p}`, join(dir, p));
    for (const p of ["portmap", "tuning"]) {
      Deno.writeTextFileSync(
        join(dir, p),
        `#!/bin/sh\necho "${p} $CNI_COMMAND" >> ${log}\nexec /usr/lib/cni/${p}\n`,
        { mode: 0o755 },
      );
    }
    const calls = () => Deno.readTextFileSync(log).trim().split("\n").filter(Boolean);
    const attach = async (publish: string[], mac?: string) => {
      const o = parseNetworkFlags({
        network: "idlenet",
        publish,
        dns: [],
        addHost: [],
        cniPath: dir,
      });
      return await attachNetwork(f.paths, {
        containerId: randomId(),
        containerName: "i",
        hostname: "i",
        netnsPath: (await f.netns()).path,
        opts: mac ? { ...o, mac } : o,
      });
    };
    Deno.writeTextFileSync(log, "");
    const plain = await attach([]);
    assertEquals(plain.skipped, ["portmap", "tuning"]);
    await detachNetwork(f.paths, plain);
    assertEquals(calls(), [], "neither ran at the ADD nor at the DEL");
    Deno.writeTextFileSync(log, "");
    const busy = await attach([`127.0.0.1:${freePort()}:80`], "02:42:ac:11:00:0a");
    assertEquals(busy.skipped, []);
    assertEquals(busy.mac, "02:42:ac:11:00:0a");
    await detachNetwork(f.paths, busy);
    assertEquals(calls(), ["portmap ADD", "tuning ADD", "tuning DEL", "portmap DEL"]);
    await assertClean(f.root, "idlenet", busy.containerId, busy.ip);
  });
});

Deno.test("attachNetwork: 10 parallel attachments get distinct IPs and detach frees every lease", async () => {
  await withNetwork("parnet", async (f) => {
    const nss = await Promise.all(Array.from({ length: 10 }, () => f.netns()));
    const vethsBefore = (await hostVeths()).length;
    const o = opts("parnet", ["80"]); // random host ports must be distinct too
    const atts = await Promise.all(
      nss.map((ns, i) =>
        attachNetwork(f.paths, {
          containerId: randomId(),
          containerName: `c${i}`,
          hostname: `c${i}`,
          netnsPath: ns.path,
          opts: o,
        })
      ),
    );
    assertEquals(new Set(atts.map((a) => a.ip)).size, 10);
    assertEquals(new Set(atts.map((a) => a.ports[0].hostPort)).size, 10);
    assertEquals(leasedIPs(join(f.root, "networks/ipam/parnet")).length, 10);
    await Promise.all(atts.map((a) => detachNetwork(f.paths, a)));
    assertEquals(leasedIPs(join(f.root, "networks/ipam/parnet")), []);
    for (const a of atts) assertEquals(await iptablesLinesWith(a.containerId), []);
    assertEquals(listAttachments(f.paths), []);
    // the namespaces still exist, so their veths are gone only through DEL
    assertEquals((await hostVeths()).length, vethsBefore);
  });
});

Deno.test("detachNetwork: cleans up after the netns was deleted and its handle is gone", async () => {
  await withNetwork("gonenet", async (f) => {
    const ns = await f.netns();
    const o = opts("gonenet", [`127.0.0.1:${freePort()}:80`]);
    const id = randomId();
    const att = await attachNetwork(f.paths, {
      containerId: id,
      containerName: "gone",
      hostname: "gone",
      netnsPath: ns.path,
      opts: o,
    });
    assert((await iptablesLinesWith(id)).length > 0);
    // the namespace disappears entirely (as after a reboot): no process, no mount keeps it
    await sh("ip", ["netns", "del", ns.name]);
    await sh("umount", [att.netnsPath]);
    await detachNetwork(f.paths, att);
    await assertClean(f.root, "gonenet", id, att.ip);
  });
});

Deno.test("detachContainer: tears down the attachment of a tsbox that was SIGKILLed", async () => {
  await withNetwork("killnet", async (f) => {
    const ns = await f.netns();
    const id = randomId();
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        new URL("./_attach_child.ts", import.meta.url).pathname,
        f.root,
        id,
        ns.path,
        String(port),
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // wait until the child reports its attachment, then kill it before it can clean anything
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await Promise.race([
      reader.read(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error("child did not attach in 30s")), 30_000)
      ),
    ]);
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    const ip = String(first.value).trim();
    assertMatch(ip, /^10\./);
    assert((await iptablesLinesWith(id)).length > 0, "rules present after the crash");
    assert(isMountPoint(join(f.root, "networks/netns", id)), "netns still pinned after the crash");
    assertEquals(await detachContainer(f.paths, id), true);
    await assertClean(f.root, "killnet", id, ip);
    assertEquals(await detachContainer(f.paths, id), false);
  });
});

Deno.test("prepareNetwork: a missing plugin directory fails naming the plugin and the package", async () => {
  await withNetwork("nopl", async (f) => {
    const o = parseNetworkFlags({
      network: "nopl",
      publish: [],
      dns: [],
      addHost: [],
      cniPath: "/nonexistent/cni",
    });
    const err = await assertRejects(() => prepareNetwork(f.paths, o), NetworkError);
    assertMatch(err.message, /CNI plugin "bridge" not found in \/nonexistent\/cni/);
    assertMatch(err.hint ?? "", /containernetworking-plugins/);
  });
});

Deno.test("prepareNetwork: a host port in use fails before anything is attached", async () => {
  await withNetwork("busynet", async (f) => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (l.addr as Deno.NetAddr).port;
      const err = await assertRejects(
        () => prepareNetwork(f.paths, opts("busynet", [`127.0.0.1:${port}:80`])),
        NetworkError,
      );
      assertMatch(err.message, new RegExp(`127\\.0\\.0\\.1:${port}/tcp is already in use`));
      assertEquals(listAttachments(f.paths), []);
    } finally {
      l.close();
    }
  });
});

Deno.test("prepareNetwork: creates the default bridge network on first use", async () => {
  await withNetwork("bridge", async (f) => {
    await prepareNetwork(f.paths, opts("bridge"));
    const conf = JSON.parse(Deno.readTextFileSync(join(f.paths.networks, "bridge.conflist")));
    assertEquals(conf.plugins.map((p: { type: string }) => p.type), [
      "bridge",
      "portmap",
      "tuning",
    ]);
    assertEquals(conf.plugins[0].ipam.dataDir, netDirs(f.paths).ipam);
    const ns = await f.netns();
    const att = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "d",
      hostname: "d",
      netnsPath: ns.path,
      opts: opts("bridge"),
    });
    assertEquals(att.network, "bridge");
    await detachNetwork(f.paths, att);
  }, false);
});

Deno.test("attachNetwork: a plugin failing late in the chain reports its error JSON and undoes the earlier plugins", async () => {
  await withNetwork("failnet", async (f) => {
    // a plugin dir with the real plugins, except a tuning that fails ADD the CNI way (run
    // because a MAC is asked for), after the bridge and portmap plugins made their changes
    const dir = join(f.root, "cni");
    Deno.mkdirSync(dir);
    for (const p of ["bridge", "host-local", "portmap"]) {
      Deno.symlinkSync(`/usr/lib/cni/${p}`, join(dir, p));
    }
    Deno.writeTextFileSync(
      join(dir, "tuning"),
      `#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] || exit 0\n` +
        `echo '{"cniVersion":"1.0.0","code":100,"msg":"boom","details":"injected failure"}'\nexit 1\n`,
    );
    Deno.chmodSync(join(dir, "tuning"), 0o755);
    const ns = await f.netns();
    const port = freePort();
    const o = {
      ...parseNetworkFlags({
        network: "failnet",
        publish: [`127.0.0.1:${port}:80`],
        dns: [],
        addHost: [],
        cniPath: dir,
      }),
      mac: "02:42:ac:11:00:09",
    };
    const id = randomId();
    const err = await assertRejects(
      () =>
        attachNetwork(f.paths, {
          containerId: id,
          containerName: "f",
          hostname: "f",
          netnsPath: ns.path,
          opts: o,
        }),
      NetworkError,
    );
    assertEquals(err.message, "CNI plugin tuning ADD failed: boom: injected failure (code 100)");
    assertEquals(await iptablesLinesWith(id), [], "portmap's rules undone");
    assertEquals(await iptablesLinesWith(`--dport ${port}`), [], "its DNAT undone");
    assertEquals(leasedIPs(join(f.root, "networks/ipam/failnet")), [], "lease released");
    assertEquals(listAttachments(f.paths), []);
    assert(!isMountPoint(join(f.root, "networks/netns", id)));
    const links = await sh("ip", ["-n", ns.name, "-j", "link"]);
    assertEquals(
      (JSON.parse(links.out) as { ifname: string }[]).map((l) => l.ifname),
      ["lo"],
      "eth0 removed",
    );
  });
});

Deno.test("attachNetwork: an internal network gives no default route and refuses published ports", async () => {
  await withNetwork("intnet", async (f) => {
    const ns = await f.netns();
    await assertRejects(() => prepareNetwork(f.paths, opts("intnet", ["8080:80"])), UsageError);
    const att = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "i",
      hostname: "i",
      netnsPath: ns.path,
      opts: opts("intnet"),
    });
    const routes = await sh("ip", ["-n", ns.name, "-4", "route"]);
    assert(!routes.out.includes("default"), routes.out);
    assert(routes.out.includes(`dev eth0`), routes.out);
    await detachNetwork(f.paths, att);
  }, { internal: true });
});
