/**
 * Unit tests of a container's several networks (no root needed): the
 * endpoint list and live attachments of its record, interface names, the
 * options per network, a requested `--ip`, the CNI_ARGS it becomes, the
 * default route kept on one interface, record keys, and the hosts lines.
 */

import { assertEquals } from "../helpers/assert.ts";
import {
  attachmentTo,
  endpointsOf,
  givesDefaultRoute,
  liveAttachments,
  networkNamesOf,
  nextIfname,
  optionsFor,
  withAttachment,
  withoutAttachments,
  withoutNetwork,
} from "../../lib/net/endpoints.ts";
import { parseRequestedIP, requestedIPProblem } from "../../lib/net/endpoint_ip.ts";
import { buildBridgeConflist, withoutDefaultRoute } from "../../lib/net/conflist.ts";
import { cniEnv } from "../../lib/net/cni_plan.ts";
import { attachmentKey, isKeyOf, recordPathIn } from "../../lib/net/records.ts";
import { buildHosts } from "../../lib/net/etc_files.ts";
import { networksOfConfig } from "../../lib/net/store.ts";
import { parseNetworkFlags } from "../../lib/net/options.ts";
import type { NetworkAttachment, NetworkRecord } from "../../lib/net/types.ts";

const opts = {
  ...parseNetworkFlags({ network: "front", publish: ["8080:80"], dns: [], addHost: [] }),
  mac: "02:42:ac:11:00:02",
};

function att(network: string, ifname: string, routes: unknown[] = []): NetworkAttachment {
  return {
    network,
    containerId: "c".repeat(64),
    containerName: "web",
    ifname,
    netnsPath: `/ns/${ifname}`,
    ip: ifname === "eth0" ? "10.1.0.2" : "10.2.0.2",
    prefixLen: 24,
    gateway: "10.1.0.1",
    mac: "",
    bridge: "br",
    ports: [],
    cniResult: { routes },
    cniPath: [],
    recordPath: `/r/${ifname}.json`,
  };
}

const list = buildBridgeConflist({
  name: "back",
  bridge: "tsbox-b",
  subnet: "10.2.0.0/24",
  gateway: "10.2.0.1",
  internal: false,
  labels: {},
  id: "f".repeat(64),
  created: "",
  ipamDir: "/i",
  tuningDir: "/t",
});

Deno.test("endpointsOf: an old record is on its one network; none/host/container are on none", () => {
  const net: NetworkRecord = { opts };
  assertEquals(endpointsOf(net), [{ network: "front" }]);
  assertEquals(networkNamesOf(net), ["front"]);
  const none = parseNetworkFlags({ network: "none", publish: [], dns: [], addHost: [] });
  assertEquals([endpointsOf({ opts: none }), networkNamesOf({ opts: none })], [[], ["none"]]);
  assertEquals(networkNamesOf(undefined), ["none"]);
  assertEquals(endpointsOf({ opts, endpoints: [] }), [], "disconnected from every network");
});

Deno.test("withAttachment/withoutNetwork: the primary's slot, connected ones by interface", () => {
  let net: NetworkRecord = { opts, endpoints: [{ network: "front" }, { network: "back" }] };
  net = withAttachment(net, att("back", "eth1", []));
  net = withAttachment(net, att("front", "eth0", [{ dst: "0.0.0.0/0" }]));
  assertEquals(net.attachment?.ifname, "eth0");
  assertEquals(liveAttachments(net).map((a) => a.ifname), ["eth0", "eth1"]);
  assertEquals(attachmentTo(net, "back")?.ifname, "eth1");
  assertEquals(liveAttachments(net).map(givesDefaultRoute), [true, false]);
  const left = withoutNetwork(net, "front");
  assertEquals([left.attachment, left.endpoints], [undefined, [{ network: "back" }]]);
  assertEquals(liveAttachments(left).map((a) => a.network), ["back"]);
  assertEquals(withoutAttachments(net), { opts, endpoints: net.endpoints });
  assertEquals(withoutNetwork(left, "back"), { opts, endpoints: [] });
});

Deno.test("nextIfname: the lowest free ethN", () => {
  assertEquals(nextIfname([]), "eth0");
  assertEquals(nextIfname(["eth0", "eth1"]), "eth2");
  assertEquals(nextIfname(["eth1"]), "eth0");
  assertEquals(nextIfname(["eth0", "eth2"]), "eth1");
});

Deno.test("optionsFor: ports and MAC stay with the container's own network", () => {
  assertEquals(optionsFor(opts, { network: "front" }), opts);
  const other = optionsFor(opts, { network: "back", ip: "10.2.0.9" });
  assertEquals([other.network, other.ports, other.mac, other.mode], [
    "back",
    [],
    undefined,
    "bridge",
  ]);
});

Deno.test("requestedIPProblem: docker's words for outside the subnet and taken", () => {
  assertEquals(requestedIPProblem(list, "10.2.0.9", []), undefined);
  assertEquals(
    requestedIPProblem(list, "10.3.0.9", []),
    "invalid address 10.3.0.9: It does not belong to any of this network's subnets",
  );
  for (const ip of ["10.2.0.9", "10.2.0.1", "10.2.0.0", "10.2.0.255"]) {
    assertEquals(requestedIPProblem(list, ip, ["10.2.0.9"]), "Address already in use", ip);
  }
  assertEquals([parseRequestedIP("10.2.0.9"), parseRequestedIP("banana")], ["10.2.0.9", undefined]);
});

Deno.test("cniEnv: a fixed address and a MAC go to CNI_ARGS together", () => {
  const rt = { containerId: "c1", netns: "/ns", ifname: "eth1", cniPath: ["/p"], capabilities: {} };
  assertEquals(cniEnv("ADD", rt).CNI_ARGS, undefined);
  assertEquals(cniEnv("ADD", { ...rt, ip: "10.2.0.9" }).CNI_ARGS, "IgnoreUnknown=1;IP=10.2.0.9");
  assertEquals(
    cniEnv("ADD", { ...rt, ip: "10.2.0.9", mac: "02:00:00:00:00:01" }).CNI_ARGS,
    "IgnoreUnknown=1;IP=10.2.0.9;MAC=02:00:00:00:00:01",
  );
});

Deno.test("withoutDefaultRoute: a further interface gets the subnet only", () => {
  const ipam = (l: typeof list) => l.plugins[0].ipam as { routes: unknown[]; ranges: unknown };
  assertEquals(ipam(list).routes, [{ dst: "0.0.0.0/0" }]);
  const stripped = withoutDefaultRoute(list);
  assertEquals(ipam(stripped).routes, []);
  assertEquals(ipam(stripped).ranges, ipam(list).ranges);
  assertEquals(ipam(list).routes, [{ dst: "0.0.0.0/0" }], "the stored list is unchanged");
});

Deno.test("attachmentKey: eth0 keeps the bare id (older records), others get @ifname", () => {
  const id = "a".repeat(64);
  assertEquals([attachmentKey(id), attachmentKey(id, "eth1")], [id, `${id}@eth1`]);
  assertEquals(recordPathIn("/d", id, "eth2"), `/d/${id}@eth2.json`);
  assertEquals(
    [isKeyOf(`${id}.json`, id), isKeyOf(`${id}@eth1`, id), isKeyOf(`${id}x@eth1`, id)],
    [true, true, false],
  );
});

Deno.test("buildHosts: a line per address of a container on several networks", () => {
  const h = buildHosts({
    hostname: "web",
    containerName: "web-1",
    ip: "10.1.0.2",
    extraIPs: ["10.2.0.2"],
    extraHosts: [],
    peers: [{ name: "db", ip: "10.2.0.3" }, { name: "dbalias", ip: "10.2.0.3" }],
  });
  assertEquals(h.trimEnd().split("\n").slice(-4), [
    "10.1.0.2\tweb web-1",
    "10.2.0.2\tweb web-1",
    "10.2.0.3\tdb",
    "10.2.0.3\tdbalias",
  ]);
});

Deno.test("networksOfConfig: the endpoints of a record, else its one network", () => {
  assertEquals(networksOfConfig({ spec: { network: "" } }), ["bridge"]);
  assertEquals(
    networksOfConfig({ network: { opts, endpoints: [{ network: "a" }, { network: "b" }] } }),
    ["a", "b"],
  );
  assertEquals(networksOfConfig({ network: { opts, endpoints: [] }, spec: { network: "a" } }), []);
});
