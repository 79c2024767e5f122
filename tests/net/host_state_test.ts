/** Unit tests of parsing host state: iptables rules, routes, subnets, IPv4 math (no root needed). */

import { assert, assertEquals } from "../helpers/assert.ts";
import { cniChainNames, leftoversOf, publishedPortsIn, splitRule } from "../../lib/net/iptables.ts";
import {
  addressCidrs,
  chooseSubnet,
  defaultPool,
  routeCidrs,
  userPool,
} from "../../lib/net/subnet.ts";
import { formatCidr, formatIPv4, parseCidr, parseIPv4 } from "../../lib/net/ipv4.ts";

const ID = "c".repeat(64);
const NAT = `-P PREROUTING ACCEPT
-N CNI-2226fc4676a7250055568f69
-N CNI-DN-2226fc4676a7250055568
-N CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A POSTROUTING -s 10.89.77.2/32 -m comment --comment "name: \\"trynet\\" id: \\"${ID}\\"" -j CNI-2226fc4676a7250055568f69
-A CNI-2226fc4676a7250055568f69 ! -d 224.0.0.0/4 -m comment --comment "name: \\"trynet\\" id: \\"${ID}\\"" -j MASQUERADE
-A CNI-DN-2226fc4676a7250055568 -d 127.0.0.1/32 -p tcp -m tcp --dport 18080 -j DNAT --to-destination 10.89.77.2:80
-A CNI-DN-2226fc4676a7250055568 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.89.77.2:53
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"trynet\\" id: \\"${ID}\\"" -m multiport --dports 18080 -j CNI-DN-2226fc4676a7250055568
-A CNI-FORWARD -d 10.89.77.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;

Deno.test("cniChainNames: the plugins' sha512-derived chain names", async () => {
  // observed from the real bridge and portmap plugins for (trynet, c×64)
  assertEquals(await cniChainNames("trynet", ID), [
    "CNI-2226fc4676a7250055568f69",
    "CNI-DN-2226fc4676a7250055568",
  ]);
});

Deno.test("splitRule: quoted comments with escaped quotes", () => {
  assertEquals(splitRule(`-A X -m comment --comment "name: \\"n\\" id: \\"i\\"" -j Y`), [
    "-A",
    "X",
    "-m",
    "comment",
    "--comment",
    'name: "n" id: "i"',
    "-j",
    "Y",
  ]);
});

Deno.test("leftoversOf: finds the tagged rules, the jumps and the chains; firewall rules only by IP", async () => {
  const l = await leftoversOf(NAT, "trynet", ID);
  assertEquals(l.chains, ["CNI-2226fc4676a7250055568f69", "CNI-DN-2226fc4676a7250055568"]);
  assertEquals(l.rules.length, 5);
  assert(l.rules.every((r) => r[0] !== "CNI-FORWARD"));
  assertEquals((await leftoversOf(NAT, "trynet", ID, "10.89.77.2")).rules.length, 6);
  assertEquals((await leftoversOf(NAT, "other", ID)).rules.length, 0);
});

Deno.test("publishedPortsIn: host ports of portmap DNAT rules", () => {
  assertEquals(publishedPortsIn(NAT), [
    { hostIP: "127.0.0.1", hostPort: 18080, containerPort: 0, protocol: "tcp" },
    { hostIP: "", hostPort: 5353, containerPort: 0, protocol: "udp" },
  ]);
});

Deno.test("chooseSubnet: skips networks overlapping host routes, addresses and other networks", () => {
  const routes = routeCidrs(
    JSON.stringify([{ dst: "default" }, { dst: "10.88.0.0/16" }, { dst: "10.89.0.5" }]),
  );
  const addrs = addressCidrs(
    JSON.stringify([{ addr_info: [{ local: "10.89.1.9", prefixlen: 24 }] }]),
  );
  const taken = [...routes, ...addrs, parseCidr("10.89.2.0/24")!];
  assertEquals(chooseSubnet(defaultPool(), taken), "10.89.3.0/24");
  assertEquals(chooseSubnet(userPool(), [parseCidr("10.0.0.0/8")!]), undefined);
  assertEquals(chooseSubnet(defaultPool(), []), "10.88.0.0/16");
});

Deno.test("ipv4: parse, format and CIDR validity", () => {
  assertEquals(formatIPv4(parseIPv4("192.168.1.254")!), "192.168.1.254");
  assertEquals(parseIPv4("1.2.3"), undefined);
  assertEquals(parseIPv4("01.2.3.4"), undefined);
  assertEquals(parseCidr("10.0.0.1/24"), undefined, "host bits set");
  assertEquals(parseCidr("10.0.0.0/33"), undefined);
  assertEquals(formatCidr(parseCidr("172.16.0.0/12")!), "172.16.0.0/12");
});
