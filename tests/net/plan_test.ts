/** Unit tests of the pure CNI planning: conflist, call sequence, environment (no root needed). */

import { createHash } from "node:crypto";
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  buildBridgeConflist,
  currentShape,
  hasContainerRules,
  networkInfoOf,
  requiredPlugins,
  validGateway,
} from "../../lib/net/conflist.ts";
import { cniEnv, type CniRuntime, idleOnAdd, planCni } from "../../lib/net/cni_plan.ts";
import { addressOf } from "../../lib/net/attach.ts";
import { bridgeNameFor } from "../../lib/net/bridge.ts";

const spec = {
  name: "n1",
  bridge: "tsbox-abc",
  subnet: "10.89.3.0/24",
  gateway: "10.89.3.1",
  internal: false,
  labels: { a: "b" },
  id: "f".repeat(64),
  created: "2024-01-01T00:00:00.000Z",
  ipamDir: "/root/x/networks/ipam",
  tuningDir: "/root/x/networks/tuning",
};
const rt: CniRuntime = {
  containerId: "c1",
  netns: "/ns/c1",
  ifname: "eth0",
  cniPath: ["/usr/lib/cni", "/opt/cni/bin"],
  capabilities: {
    portMappings: [{ hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  },
};

Deno.test("buildBridgeConflist: podman-style chain with leases under the state root, no rules per container", () => {
  const l = buildBridgeConflist(spec);
  assertEquals(l.plugins.map((p) => p.type), ["bridge", "portmap", "tuning"]);
  assertEquals(requiredPlugins(l), ["bridge", "host-local", "portmap", "tuning"]);
  const ipam = l.plugins[0].ipam as Record<string, unknown>;
  assertEquals(ipam.dataDir, "/root/x/networks/ipam");
  assertEquals(ipam.ranges, [[{ subnet: "10.89.3.0/24", gateway: "10.89.3.1" }]]);
  assertEquals(l.plugins[0].ipMasq, false, "masquerade per network (host_rules.ts)");
  assertEquals(hasContainerRules(l), false);
  assertEquals(l.plugins[1].snat, true);
  assertEquals(networkInfoOf(l), {
    name: "n1",
    id: spec.id,
    driver: "bridge",
    created: spec.created,
    subnet: spec.subnet,
    gateway: spec.gateway,
    bridge: "tsbox-abc",
    internal: false,
    labels: { a: "b" },
  });
});

Deno.test("buildBridgeConflist: an internal network has no masquerade, no default route, no portmap", () => {
  const l = buildBridgeConflist({ ...spec, internal: true });
  assertEquals(l.plugins.map((p) => p.type), ["bridge", "tuning"]);
  assertEquals(l.plugins[0].ipMasq, false);
  assertEquals((l.plugins[0].ipam as { routes: unknown[] }).routes, []);
  assertEquals(networkInfoOf(l).internal, true);
});

Deno.test("planCni: ADD injects name/cniVersion and runtimeConfig only for capable plugins", () => {
  const l = buildBridgeConflist(spec);
  const add = planCni("ADD", l, { ...rt, mac: "02:42:ac:11:00:02" });
  assertEquals(add.map((i) => i.plugin), ["bridge", "portmap", "tuning"]);
  for (const i of add) {
    assertEquals([i.config.name, i.config.cniVersion, i.config.prevResult], [
      "n1",
      "1.0.0",
      undefined,
    ]);
    assertEquals(i.env, add[0].env, "same environment for every plugin of a list");
  }
  assertEquals(add[1].config.runtimeConfig, {
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1" }],
  });
  assertEquals(add[0].config.runtimeConfig, undefined);
});

Deno.test("planCni: an ADD skips portmap with no port and tuning with no MAC; DEL and CHECK run all", () => {
  const l = buildBridgeConflist(spec);
  const bare: CniRuntime = { ...rt, capabilities: {} };
  assertEquals(planCni("ADD", l, bare).map((i) => i.plugin), ["bridge"]);
  assertEquals(planCni("ADD", l, rt).map((i) => i.plugin), ["bridge", "portmap"]);
  assertEquals(
    planCni("ADD", l, { ...bare, mac: "02:42:ac:11:00:02" }).map((i) => i.plugin),
    ["bridge", "tuning"],
  );
  assertEquals(planCni("DEL", l, bare).map((i) => i.plugin), ["tuning", "portmap", "bridge"]);
  assertEquals(planCni("CHECK", l, bare).map((i) => i.plugin), ["bridge", "portmap", "tuning"]);
  // an entry with settings of its own (a hand-edited conflist) always runs
  const tuned = {
    ...l,
    plugins: l.plugins.map((p) =>
      p.type === "tuning" ? { ...p, sysctl: { "net.ipv4.conf.eth0.rp_filter": "1" } } : p
    ),
  };
  assertEquals(planCni("ADD", tuned, bare).map((i) => i.plugin), ["bridge", "tuning"]);
  assert(
    !idleOnAdd({ type: "portmap", capabilities: { portMappings: true }, conditionsV4: [] }, bare),
  );
  assert(!idleOnAdd({ type: "bandwidth" }, bare));
});

Deno.test("planCni: DEL runs in reverse with the cached result as prevResult for every plugin", () => {
  const l = buildBridgeConflist(spec);
  const prev = { cniVersion: "1.0.0", ips: [{ address: "10.89.3.2/24" }] };
  const del = planCni("DEL", l, rt, prev);
  assertEquals(del.map((i) => i.plugin), ["tuning", "portmap", "bridge"]);
  for (const i of del) assertEquals(i.config.prevResult, prev);
  assertEquals(del[0].env.CNI_COMMAND, "DEL");
});

Deno.test("currentShape: an older tsbox list loses its per-container rules; others' lists stay", () => {
  const l = buildBridgeConflist(spec);
  // what an older tsbox stored: the bridge plugin's masquerade and a firewall plugin
  const old = {
    ...l,
    plugins: [
      { ...l.plugins[0], ipMasq: true },
      l.plugins[1],
      { type: "firewall", backend: "iptables" },
      l.plugins[2],
    ],
  };
  assert(hasContainerRules(old));
  assertEquals(currentShape(old), l);
  assertEquals(currentShape(l), l);
  const foreign = { ...old, plugins: old.plugins.map((p) => ({ ...p, args: undefined })) };
  assertEquals(currentShape(foreign), foreign, "not tsbox's: run as written");
});

Deno.test("cniEnv: the spec's variables; CNI_NETNS omitted for a DEL without netns", () => {
  const env = cniEnv("ADD", rt);
  assertEquals(env.CNI_COMMAND, "ADD");
  assertEquals(env.CNI_CONTAINERID, "c1");
  assertEquals(env.CNI_NETNS, "/ns/c1");
  assertEquals(env.CNI_IFNAME, "eth0");
  assertEquals(env.CNI_PATH, "/usr/lib/cni:/opt/cni/bin");
  assert(env.PATH.includes("/usr/sbin"));
  assertEquals("CNI_NETNS" in cniEnv("DEL", { ...rt, netns: "" }), false);
});

Deno.test("addressOf: reads IP, prefix, gateway and MAC of the sandbox interface from a 1.0.0 result", () => {
  const result = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "br", mac: "aa:aa:aa:aa:aa:aa" }, {
      name: "veth1",
      mac: "bb:bb:bb:bb:bb:bb",
    }, { name: "eth0", mac: "cc:cc:cc:cc:cc:cc", sandbox: "/ns" }],
    ips: [{ interface: 2, address: "10.89.3.7/24", gateway: "10.89.3.1" }],
  };
  assertEquals(addressOf(result, "eth0"), {
    ip: "10.89.3.7",
    prefixLen: 24,
    gateway: "10.89.3.1",
    mac: "cc:cc:cc:cc:cc:cc",
  });
});

Deno.test("bridgeNameFor: tsbox0 for the default root's default network, else a hashed name ≤ 15 chars", async () => {
  assertEquals(await bridgeNameFor("/var/lib/tsbox", "bridge"), "tsbox0");
  const a = await bridgeNameFor("/var/lib/tsbox", "web");
  const b = await bridgeNameFor("/tmp/other", "web");
  assert(a !== b && a.length <= 15 && /^tsbox-[0-9a-f]{9}$/.test(a));
  assert(await bridgeNameFor("/tmp/r", "bridge") !== "tsbox0");
  // the names networks made before keep: sha256 of root NUL name, as node:crypto made it
  const sha = createHash("sha256").update("/tmp/other\0web").digest("hex");
  assertEquals(b, `tsbox-${sha.slice(0, 9)}`);
});

Deno.test("validGateway: inside the subnet, not the network or broadcast address", () => {
  assert(validGateway("10.0.0.0/24", "10.0.0.1"));
  assert(validGateway("10.0.0.0/24", "10.0.0.254"));
  assert(!validGateway("10.0.0.0/24", "10.0.0.0"));
  assert(!validGateway("10.0.0.0/24", "10.0.0.255"));
  assert(!validGateway("10.0.0.0/24", "10.0.1.1"));
});
