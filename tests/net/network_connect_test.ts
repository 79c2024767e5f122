/**
 * `tsbox network connect` / `disconnect` through the CLI, real kernel and
 * CNI plugins, as root: a second interface in a running container, the
 * record of a stopped one taking effect at its next start, docker's
 * refusals changing nothing, and nothing of either network left after
 * stop, rm or a killed supervisor.
 */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { isAlive } from "../run/_containers.ts";
import { join } from "node:path";
import {
  addrOf,
  assertNoCgroups,
  assertNoRules,
  execIn,
  idOf,
  leasesOn,
  netState,
  ok,
  vethsOn,
  withConnectRoot,
} from "./_connect_fixture.ts";
import {
  ERR_HOST_NETWORK,
  ERR_NO_NETWORK,
  ERR_SHARED_NETWORK,
} from "../../lib/container/network_connect.ts";

const SLEEP = ["busybox", "sleep", "600"];

Deno.test("network connect: a running container gets eth1 on a second network and reaches a peer there; disconnect removes it", async () => {
  await withConnectRoot({ cna: "10.77.61.0/24", cnb: "10.77.62.0/24" }, async (root) => {
    await ok(root, ["run", "-d", "--name", "web", "--network", "cna", ...SLEEP]);
    await ok(root, ["run", "-d", "--name", "peer", "--network", "cnb", ...SLEEP]);
    const [web, peer] = [await idOf(root, "web"), await idOf(root, "peer")];
    const c = await tsbox(root, ["network", "connect", "cnb", "web"]);
    assertEquals([c.code, c.stdout, c.stderr], [0, "", ""]);

    const ip1 = await addrOf(root, "web", "eth1");
    assertMatch(ip1, /^10\.77\.62\.\d+$/);
    const ip0 = await addrOf(root, "web", "eth0");
    assertMatch(ip0, /^10\.77\.61\.\d+$/);
    const ping = await execIn(root, "web", ["ping", "-c", "1", "-W", "2", "peer"]);
    assertEquals(ping.code, 0, ping.out); // by name: the hosts files of both were updated
    const peerHosts = (await execIn(root, "peer", ["cat", "/etc/hosts"])).out;
    assert(peerHosts.includes(`${ip1}\tweb\n`), peerHosts);
    // one default gateway, the first network's (docker keeps one gateway endpoint)
    const routes = (await execIn(root, "web", ["ip", "route"])).out.split("\n");
    assertEquals(routes.filter((l) => l.startsWith("default")), [
      "default via 10.77.61.1 dev eth0 ",
    ]);

    const info = JSON.parse(await ok(root, ["inspect", "web"]))[0].NetworkSettings.Networks;
    assertEquals(Object.keys(info), ["cna", "cnb"]);
    assertEquals([info.cna.IPAddress, info.cnb.IPAddress], [ip0, ip1]);
    assertEquals([info.cna.Gateway, info.cnb.Gateway], ["10.77.61.1", "10.77.62.1"]);
    assertMatch(info.cnb.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const onB = await ok(root, ["ps", "--filter", "network=cnb", "--format", "{{.Names}}"]);
    assertEquals(onB.trim().split("\n").sort(), ["peer", "web"]);
    assertEquals(
      await ok(root, ["ps", "--filter", "name=web", "--format", "{{.Networks}}"]),
      "cna,cnb\n",
    );
    const nb = JSON.parse(await ok(root, ["network", "inspect", "cnb"]))[0].Containers;
    assertEquals(Object.keys(nb).sort(), [peer, web].sort());
    assertEquals(nb[web].IPv4Address, `${ip1}/24`);
    const rm = await tsbox(root, ["network", "rm", "cnb"]);
    assertEquals(rm.code, 1, "a network with connected containers is not removed");
    assertMatch(rm.stderr, /network cnb is in use by container\(s\): peer, web/);
    assertEquals((await vethsOn(root, "cnb")).length, 2);

    const d = await tsbox(root, ["network", "disconnect", "cnb", "web"]);
    assertEquals([d.code, d.stdout, d.stderr], [0, "", ""]);
    assertEquals((await execIn(root, "web", ["ip", "link", "show", "eth1"])).code === 0, false);
    assertEquals(leasesOn(root, "cnb").includes(ip1), false, "its lease is released");
    assertEquals((await vethsOn(root, "cnb")).length, 1);
    assertEquals(netState(root).records.some((r) => r.startsWith(`${web}@`)), false);
    assertEquals((await execIn(root, "peer", ["cat", "/etc/hosts"])).out.includes("web"), false);
    assertEquals((await execIn(root, "web", ["cat", "/etc/hosts"])).out.includes("peer"), false);
    const after = JSON.parse(await ok(root, ["inspect", "web"]))[0].NetworkSettings.Networks;
    assertEquals(Object.keys(after), ["cna"]);
    assertEquals(await addrOf(root, "web", "eth0"), ip0, "eth0 untouched");

    await ok(root, ["rm", "-f", "web", "peer"]);
    assertEquals([await vethsOn(root, "cna"), await vethsOn(root, "cnb")], [[], []]);
    assertEquals([leasesOn(root, "cna"), leasesOn(root, "cnb")], [[], []]);
    assertEquals(netState(root), { records: [], pins: [] });
    assertNoRules([web, peer], [ip0, ip1]);
    assertNoCgroups([web, peer]);
  });
});

/** What a refused command must leave as it was. */
async function snapshot(root: string, ids: string[]): Promise<string> {
  const configs = ids.map((id) =>
    JSON.parse(Deno.readTextFileSync(join(root, "containers", id, "container.json"))).network
  );
  const records = netState(root).records.map((r) =>
    Deno.readTextFileSync(join(root, "networks", "attachments", r))
  );
  const links = (await execIn(root, "ctr", ["ip", "-o", "link"])).out.split("\n")
    .map((l) => l.split(":")[1]?.trim());
  return JSON.stringify({
    configs,
    records,
    state: netState(root),
    leases: [leasesOn(root, "cnc"), leasesOn(root, "cnd")],
    links,
    veths: [await vethsOn(root, "cnc"), await vethsOn(root, "cnd")],
  });
}

Deno.test("network connect/disconnect: docker's refusals exit 1 with one line and change nothing", async () => {
  await withConnectRoot({ cnc: "10.77.64.0/24", cnd: "10.77.65.0/24" }, async (root) => {
    await ok(root, ["run", "-d", "--name", "ctr", "--network", "cnc", ...SLEEP]);
    await ok(root, ["run", "-d", "--name", "other", "--network", "cnd", ...SLEEP]);
    await ok(root, ["create", "--name", "cnone", "--network", "none", ...SLEEP]);
    await ok(root, ["create", "--name", "chost", "--network", "host", ...SLEEP]);
    await ok(root, ["create", "--name", "ccont", "--network", "container:ctr", ...SLEEP]);
    const names = ["ctr", "other", "cnone", "chost", "ccont"];
    const ids = await Promise.all(names.map((n) => idOf(root, n)));
    const taken = await addrOf(root, "other", "eth0");
    assertMatch(taken, /^10\.77\.65\.\d+$/);
    const daemon = (m: string) => `Error response from daemon: ${m}\n`;
    const cases: [string[], string][] = [
      [["connect", "nosuch", "ctr"], daemon("network nosuch not found")],
      [["connect", "cnd", "nosuchctr"], daemon("No such container: nosuchctr")],
      [["disconnect", "cnd", "nosuchctr"], daemon("No such container: nosuchctr")],
      [["connect", "cnc", "ctr"], daemon("endpoint with name ctr already exists in network cnc")],
      [["disconnect", "cnd", "ctr"], daemon(`container ${ids[0]} is not connected to network cnd`)],
      [
        ["disconnect", "cnc", "cnone"],
        daemon(`container ${ids[2]} is not connected to network cnc`),
      ],
      [["connect", "cnd", "cnone"], daemon(ERR_NO_NETWORK)],
      [["connect", "cnd", "chost"], daemon(ERR_SHARED_NETWORK)],
      [["connect", "cnd", "ccont"], daemon(ERR_SHARED_NETWORK)],
      [["connect", "host", "ctr"], daemon(ERR_HOST_NETWORK)],
      [["disconnect", "host", "chost"], daemon(ERR_HOST_NETWORK)],
      [
        ["connect", "--ip", "10.77.99.5", "cnd", "ctr"],
        daemon("invalid address 10.77.99.5: It does not belong to any of this network's subnets"),
      ],
      [["connect", "--ip", taken, "cnd", "ctr"], daemon("Address already in use")],
      [["connect", "--ip", "10.77.65.1", "cnd", "ctr"], daemon("Address already in use")],
      [["connect", "--ip", "banana", "cnd", "ctr"], daemon("invalid IPv4 address: banana")],
      [["connect", "--alias", "a b", "cnd", "ctr"], daemon('invalid alias "a b": not a host name')],
    ];
    const before = await snapshot(root, ids);
    for (const [args, line] of cases) {
      const r = await tsbox(root, ["network", ...args]);
      assertEquals([r.code, r.stdout, r.stderr], [1, "", line], args.join(" "));
      assertEquals(await snapshot(root, ids), before, `${args.join(" ")} changed something`);
    }
    // the snapshot sees a change: the same container does connect
    await ok(root, ["network", "connect", "cnd", "ctr"]);
    assert(await snapshot(root, ids) !== before, "a connect shows in the snapshot");
    const h = await tsbox(root, ["network", "connect", "--help"]);
    assertEquals(h.code, 0);
    assert(h.stdout.includes("--ip") && h.stdout.includes("--alias"), h.stdout);
    assert((await ok(root, ["network", "disconnect", "--help"])).includes("-f, --force"));
    const top = await ok(root, ["network", "--help"]);
    assert(top.includes("connect [--ip IP]") && top.includes("disconnect [-f|--force]"), top);
  });
});

Deno.test("network connect: a stopped container's network is attached at its next start; stop, a killed supervisor and rm leave nothing", async () => {
  await withConnectRoot({ cne: "10.77.66.0/24", cnf: "10.77.67.0/24" }, async (root) => {
    await ok(root, ["create", "--name", "stp", "--network", "cne", ...SLEEP]);
    const s = await idOf(root, "stp");
    await ok(root, ["network", "connect", "--ip", "10.77.67.50", "--alias", "db", "cnf", "stp"]);
    assertEquals(leasesOn(root, "cnf"), [], "nothing attached before the start");
    let nets = JSON.parse(await ok(root, ["inspect", "stp"]))[0].NetworkSettings.Networks;
    assertEquals(Object.keys(nets), ["cne", "cnf"]);
    assertEquals(nets.cnf.IPAMConfig, { IPv4Address: "10.77.67.50" });
    assertEquals([nets.cnf.Aliases, nets.cnf.IPAddress], [["db"], ""]);

    await ok(root, ["start", "stp"]);
    assertEquals(await addrOf(root, "stp", "eth1"), "10.77.67.50");
    const ip0 = await addrOf(root, "stp", "eth0");
    assertMatch(ip0, /^10\.77\.66\.\d+$/);
    await ok(root, ["run", "-d", "--name", "qpeer", "--network", "cnf", ...SLEEP]);
    const q = await idOf(root, "qpeer");
    const ping = await execIn(root, "qpeer", ["ping", "-c", "1", "-W", "2", "db"]);
    assertEquals(ping.code, 0, ping.out); // the alias resolves on cnf

    await ok(root, ["stop", "-t", "1", "stp"]);
    assertEquals(await vethsOn(root, "cne"), []);
    assertEquals((await vethsOn(root, "cnf")).length, 1, "only q's veth");
    assertEquals([leasesOn(root, "cne"), leasesOn(root, "cnf").includes("10.77.67.50")], [
      [],
      false,
    ]);
    assertEquals(netState(root).records.filter((r) => r.startsWith(s)), []);
    assertNoRules([s], [ip0, "10.77.67.50"]);
    nets = JSON.parse(await ok(root, ["inspect", "stp"]))[0].NetworkSettings.Networks;
    assertEquals([Object.keys(nets), nets.cnf.IPAddress], [["cne", "cnf"], ""]);
    // a stopped container leaves and rejoins by its record alone
    await ok(root, ["network", "disconnect", "cnf", "stp"]);
    nets = JSON.parse(await ok(root, ["inspect", "stp"]))[0].NetworkSettings.Networks;
    assertEquals(Object.keys(nets), ["cne"]);
    await ok(root, ["network", "connect", "--ip", "10.77.67.50", "cnf", "stp"]);

    // supervised by tsbox's own monitor, which is then SIGKILLed: the init dies with it
    await ok(root, ["start", "stp"], { env: { TSBOX_MONITOR: "deno" } });
    const st = JSON.parse(Deno.readTextFileSync(join(root, "containers", s, "state.json")));
    assert(st.monitorPid > 0 && st.pid > 0, JSON.stringify(st));
    assertEquals(netState(root).records.filter((r) => r.startsWith(s)).length, 2);
    Deno.kill(st.monitorPid, "SIGKILL");
    for (let i = 0; i < 200 && isAlive(st.pid); i++) await new Promise((r) => setTimeout(r, 25));
    assertEquals(isAlive(st.pid), false, "the container died with its supervisor");
    // start's claim tears the stale attachments down: the fixed address is free again
    await ok(root, ["start", "stp"]);
    assertEquals(await addrOf(root, "stp", "eth1"), "10.77.67.50");
    const ip0b = await addrOf(root, "stp", "eth0");

    await ok(root, ["rm", "-f", "stp"]);
    assertEquals(await vethsOn(root, "cne"), []);
    assertEquals((await vethsOn(root, "cnf")).length, 1);
    assertEquals(leasesOn(root, "cne"), []);
    assertEquals(leasesOn(root, "cnf").includes("10.77.67.50"), false);
    assertEquals(netState(root).records.filter((r) => r.startsWith(s)), []);
    assertEquals(netState(root).pins.filter((p) => p.startsWith(s)), []);
    assertNoRules([s], [ip0, ip0b, "10.77.67.50"]);
    await ok(root, ["rm", "-f", "qpeer"]);
    assertEquals(netState(root), { records: [], pins: [] });
    assertEquals([leasesOn(root, "cne"), leasesOn(root, "cnf")], [[], []]);
    assertNoCgroups([s, q]);
  });
});
