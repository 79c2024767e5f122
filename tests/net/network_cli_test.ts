/** `tsbox network …` through the CLI, as root, in temporary state roots. */

import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { join } from "node:path";
import { tsbox } from "../helpers/tsbox.ts";
import { withNetwork } from "./_fixture.ts";
import { randomId, sh } from "./_netns.ts";
import { bridgeNameFor } from "../../lib/net/bridge.ts";
import { attachNetwork, detachNetwork, parseNetworkFlags } from "../../lib/net/mod.ts";

async function linkExists(name: string): Promise<boolean> {
  return (await sh("ip", ["link", "show", "dev", name])).code === 0;
}

Deno.test("network create/ls/inspect/rm: lifecycle with subnet, gateway and labels", async () => {
  await withNetwork("n/a", async (f) => {
    const c = await tsbox(f.root, [
      "network",
      "create",
      "--subnet",
      "10.99.250.0/24",
      "--gateway",
      "10.99.250.254",
      "--label",
      "team=net",
      "front",
    ]);
    assertEquals(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    assertMatch(id, /^[0-9a-f]{64}$/);
    const bridge = await bridgeNameFor(f.root, "front");
    const addr = await sh("ip", ["-4", "-br", "addr", "show", "dev", bridge]);
    assert(addr.out.includes("10.99.250.254/24"), addr.out);

    const q = await tsbox(f.root, ["network", "ls", "-q"]);
    assertEquals(q.stdout.trim().split("\n")[0], id.slice(0, 12));
    const j = await tsbox(f.root, ["network", "ls", "--format", "json"]);
    const rows = j.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(rows.map((r) => r.Name), ["front", "host", "none"]);
    // docker's networkContext fields (the subnet is in inspect)
    assertEquals([rows[0].Driver, rows[0].Labels, rows[0].Scope], ["bridge", "team=net", "local"]);
    const t = await tsbox(f.root, [
      "network",
      "ls",
      "--filter",
      "label=team=net",
      "--format",
      '{{.Name}} {{.Label "team"}}',
    ]);
    assertEquals(t.stdout, "front net\n");
    const tab = await tsbox(f.root, ["network", "ls", "--filter", "driver=null"]);
    assertEquals(tab.stdout.split("\n")[0], "NETWORK ID     NAME      DRIVER    SCOPE");
    assertEquals(tab.stdout.split("\n").length, 3, tab.stdout); // header, none, ""

    const ins = JSON.parse((await tsbox(f.root, ["network", "inspect", "front"])).stdout);
    assertEquals(ins[0].Id, id);
    assertEquals(ins[0].IPAM.Config, [{ Subnet: "10.99.250.0/24", Gateway: "10.99.250.254" }]);
    assertEquals(ins[0].Labels, { team: "net" });

    const dup = await tsbox(f.root, ["network", "create", "front"]);
    assertEquals(dup.code, 1); // docker: a failed command other than run/create/start exits 1
    assertMatch(dup.stderr, /already exists/);

    const rm = await tsbox(f.root, ["network", "rm", "front"]);
    assertEquals(rm.code, 0, rm.stderr);
    assertEquals(await linkExists(bridge), false, "bridge removed with the network");
    assertEquals((await tsbox(f.root, ["network", "inspect", "front"])).code, 1);
  }, false);
});

Deno.test("network create: invalid subnet or gateway is a usage error and creates nothing", async () => {
  await withNetwork("n/a", async (f) => {
    for (
      const args of [["--subnet", "10.0.0.1/24"], ["--subnet", "banana"], [
        "--subnet",
        "10.98.0.0/24",
        "--gateway",
        "10.97.0.1",
      ], ["--gateway", "10.98.0.1"]]
    ) {
      const r = await tsbox(f.root, ["network", "create", ...args, "bad"]);
      assertEquals(r.code, 1, args.join(" "));
      assertMatch(r.stderr, /^tsbox: /);
    }
    const bad = await tsbox(f.root, ["network", "create", "no/slash"]);
    assertEquals(bad.code, 1);
    assertEquals(await linkExists(await bridgeNameFor(f.root, "bad")), false);
    assertEquals(
      (await tsbox(f.root, ["network", "ls", "-q"])).stdout.trim().split("\n").length,
      2,
      "only host and none",
    );
  }, false);
});

Deno.test("network rm: refuses while a container record references the network", async () => {
  await withNetwork("used", async (f) => {
    const id = randomId();
    const dir = join(f.root, "containers", id);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(
      join(dir, "container.json"),
      JSON.stringify({ id, name: "webapp", spec: { network: "used" }, image: { id: "x" } }),
    );
    const r = await tsbox(f.root, ["network", "rm", "used"]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /network used is in use by container\(s\): webapp/);
    const pr = await tsbox(f.root, ["network", "prune", "-f"]);
    assertEquals(pr.stdout, "", "prune keeps a network in use");
    Deno.removeSync(dir, { recursive: true });
    const ok = await tsbox(f.root, ["network", "rm", "used"]);
    assertEquals(ok.code, 0, ok.stderr);
  });
});

Deno.test("network inspect: shows attached containers; prune removes only unused networks", async () => {
  await withNetwork("busy", async (f) => {
    assertEquals((await tsbox(f.root, ["network", "create", "idle"])).code, 0);
    const ns = await f.netns();
    const opts = parseNetworkFlags({ network: "busy", publish: [], dns: [], addHost: [] });
    const att = await attachNetwork(f.paths, {
      containerId: randomId(),
      containerName: "svc",
      hostname: "svc",
      netnsPath: ns.path,
      opts,
    });
    try {
      const ins = JSON.parse((await tsbox(f.root, ["network", "inspect", "busy"])).stdout);
      assertEquals(ins[0].Containers[att.containerId].Name, "svc");
      assertEquals(ins[0].Containers[att.containerId].IPv4Address, `${att.ip}/${att.prefixLen}`);
      const pr = await tsbox(f.root, ["network", "prune", "-f"]);
      assertEquals(pr.stdout.trim(), "Deleted Networks:\nidle");
      const rm = await tsbox(f.root, ["network", "rm", "busy"]);
      assertEquals(rm.code, 1, "attached container blocks rm");
    } finally {
      await detachNetwork(f.paths, att);
    }
  });
});
