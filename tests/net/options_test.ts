/** Unit tests of network flag parsing (pure; no root needed). */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parseNetworkFlags } from "../../lib/net/options.ts";
import { parsePublish } from "../../lib/net/ports.ts";
import { UsageError } from "../../lib/errors.ts";

const raw = (
  over: Partial<
    { network: string; publish: string[]; dns: string[]; addHost: string[]; cniPath: string }
  >,
) => ({
  network: "bridge",
  publish: [],
  dns: [],
  addHost: [],
  ...over,
});

Deno.test("parsePublish: docker's forms", () => {
  assertEquals(parsePublish("80"), [{
    hostIP: "",
    hostPort: 0,
    containerPort: 80,
    protocol: "tcp",
  }]);
  assertEquals(parsePublish("8080:80"), [{
    hostIP: "",
    hostPort: 8080,
    containerPort: 80,
    protocol: "tcp",
  }]);
  assertEquals(parsePublish("127.0.0.1:8080:80/udp"), [{
    hostIP: "127.0.0.1",
    hostPort: 8080,
    containerPort: 80,
    protocol: "udp",
  }]);
  assertEquals(parsePublish("127.0.0.1::80"), [{
    hostIP: "127.0.0.1",
    hostPort: 0,
    containerPort: 80,
    protocol: "tcp",
  }]);
  assertEquals(parsePublish("0.0.0.0:81:80/TCP"), [{
    hostIP: "",
    hostPort: 81,
    containerPort: 80,
    protocol: "tcp",
  }]);
  assertEquals(parsePublish("8000-8001:80-81").map((p) => [p.hostPort, p.containerPort]), [[
    8000,
    80,
  ], [8001, 81]]);
  assertEquals(parsePublish("80-81").map((p) => [p.hostPort, p.containerPort]), [[0, 80], [0, 81]]);
});

Deno.test("parsePublish: invalid specs are UsageErrors", () => {
  for (
    const bad of [
      "",
      "abc",
      "0",
      "70000",
      "8080:0",
      "1:2:3:4",
      "300.1.1.1:80:80",
      "80/sctp",
      "8000-8002:80-81",
      "81-80",
      "[::1]:80:80",
      "::1:80:80",
    ]
  ) {
    assertThrows(() => parsePublish(bad), UsageError);
  }
});

Deno.test("parseNetworkFlags: modes and defaults", () => {
  assertEquals(parseNetworkFlags(raw({})), {
    mode: "bridge",
    network: "bridge",
    ports: [],
    dns: [],
    extraHosts: [],
  });
  assertEquals(parseNetworkFlags(raw({ network: "default" })).network, "bridge");
  assertEquals(parseNetworkFlags(raw({ network: "none" })).mode, "none");
  assertEquals(parseNetworkFlags(raw({ network: "host" })).mode, "host");
  const c = parseNetworkFlags(raw({ network: "container:web" }));
  assertEquals([c.mode, c.network], ["container", "container:web"]);
  const u = parseNetworkFlags(raw({ network: "my-net.1", cniPath: "/a:/b" }));
  assertEquals([u.mode, u.network, u.cniPath], ["bridge", "my-net.1", ["/a", "/b"]]);
});

Deno.test("parseNetworkFlags: rejects bad input with UsageError", () => {
  assertThrows(
    () => parseNetworkFlags(raw({ network: "-bad" })),
    UsageError,
    "invalid network name",
  );
  assertThrows(
    () => parseNetworkFlags(raw({ network: "container:abc", publish: ["80"] })),
    UsageError,
    "port publishing and the container type network mode",
  );
  assertThrows(
    () => parseNetworkFlags(raw({ network: "container:abc", dns: ["1.1.1.1"] })),
    UsageError,
    "dns and the network mode",
  );
  assertThrows(
    () => parseNetworkFlags(raw({ network: "host", publish: ["80:80"] })),
    UsageError,
    "--network host",
  );
  assertThrows(() => parseNetworkFlags(raw({ network: "none", publish: ["80"] })), UsageError);
  assertThrows(
    () => parseNetworkFlags(raw({ publish: ["8080:80", "8080:81"] })),
    UsageError,
    "published twice",
  );
  assertThrows(() => parseNetworkFlags(raw({ dns: ["1.2.3"] })), UsageError, "--dns");
  assertThrows(() => parseNetworkFlags(raw({ addHost: ["nohost"] })), UsageError, "--add-host");
  assertThrows(() => parseNetworkFlags(raw({ addHost: ["db:999.1.1.1"] })), UsageError);
  assertThrows(
    () => parseNetworkFlags(raw({ network: "none", addHost: ["gw:host-gateway"] })),
    UsageError,
  );
  assertThrows(() => parseNetworkFlags(raw({ cniPath: "relative/dir" })), UsageError);
});

Deno.test("parseNetworkFlags: distinct host IPs may share a port; dns and add-host are normalised", () => {
  const o = parseNetworkFlags(raw({
    publish: ["127.0.0.1:8080:80", "127.0.0.2:8080:80", "8080:80/udp"],
    dns: ["1.1.1.1", "2001:DB8::1"],
    addHost: ["db:10.1.2.3", "v6:[::1]", "gw=host-gateway"],
  }));
  assertEquals(o.ports.length, 3);
  assertEquals(o.dns, ["1.1.1.1", "2001:db8::1"]);
  assertEquals(o.extraHosts, [{ name: "db", ip: "10.1.2.3" }, { name: "v6", ip: "::1" }, {
    name: "gw",
    ip: "host-gateway",
  }]);
});
