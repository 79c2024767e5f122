/** `--expose` parsing and the exposed-port set -P publishes (pure). */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { exposedPorts, parseExpose } from "../../lib/container/expose.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("parseExpose: ports, ranges and protocols; bad values refused", () => {
  assertEquals(parseExpose(["80", "53/udp", "8000-8002/tcp"]), [
    "80/tcp",
    "53/udp",
    "8000/tcp",
    "8001/tcp",
    "8002/tcp",
  ]);
  for (const bad of ["", "x", "0", "70000", "90-80", "80/icmp", "80-"]) {
    assertThrows(() => parseExpose([bad]), UsageError, "invalid range format for --expose");
  }
});

Deno.test("exposedPorts: image EXPOSE, --expose and -p container ports, deduplicated and sorted", () => {
  assertEquals(
    exposedPorts({ "443/tcp": {}, "80": {} }, ["80/tcp", "53/udp"], [
      { containerPort: 8080, protocol: "tcp" },
      { containerPort: 443, protocol: "tcp" },
    ]),
    ["53/udp", "80/tcp", "443/tcp", "8080/tcp"],
  );
  assertEquals(exposedPorts(undefined, [], []), []);
});
