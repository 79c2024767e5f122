/** Host port probing and random port choice (binds on 127.0.0.1 only). */

import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import dgram from "node:dgram";
import { assertHostPortsFree, probeBind, resolveRandomPorts } from "../../lib/net/hostports.ts";
import { NetworkError } from "../../lib/errors.ts";

Deno.test("probeBind: sees TCP and UDP ports in use, returns the port when free", async () => {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const udp = dgram.createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  try {
    const tp = (tcp.addr as Deno.NetAddr).port;
    const up = udp.address().port;
    assertEquals(await probeBind("127.0.0.1", tp, "tcp"), undefined);
    assertEquals(await probeBind("127.0.0.1", up, "udp"), undefined);
    const free = await probeBind("127.0.0.1", 0, "udp");
    assert(free !== undefined && free > 0);
    await assertRejects(
      () =>
        assertHostPortsFree([{
          hostIP: "127.0.0.1",
          hostPort: tp,
          containerPort: 80,
          protocol: "tcp",
        }], []),
      NetworkError,
    );
  } finally {
    tcp.close();
    await new Promise<void>((r) => udp.close(() => r()));
  }
});

Deno.test("assertHostPortsFree: a port published by another container is refused without binding", async () => {
  const published = [{ hostIP: "", hostPort: 1, containerPort: 0, protocol: "tcp" as const }];
  const err = await assertRejects(
    () =>
      assertHostPortsFree([{
        hostIP: "127.0.0.1",
        hostPort: 1,
        containerPort: 80,
        protocol: "tcp",
      }], published),
    NetworkError,
  );
  assert(err.message.includes("already published"));
});

Deno.test("resolveRandomPorts: distinct free ports for every port 0, fixed ports kept", async () => {
  const out = await resolveRandomPorts([
    { hostIP: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" },
    { hostIP: "127.0.0.1", hostPort: 0, containerPort: 81, protocol: "tcp" },
    { hostIP: "127.0.0.1", hostPort: 5, containerPort: 82, protocol: "tcp" },
  ], []);
  assert(out[0].hostPort > 0 && out[1].hostPort > 0 && out[0].hostPort !== out[1].hostPort);
  assertEquals(out[2].hostPort, 5);
});
