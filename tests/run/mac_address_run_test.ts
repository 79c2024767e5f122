/**
 * `--mac-address` on the default bridge network (CNI_ARGS MAC= to the
 * bridge/tuning plugins): the interface has it, inspect shows it; refused
 * without a network of its own. Requires root and the CNI plugins.
 */

import { assertEquals } from "../helpers/assert.ts";
import { tsbox } from "../helpers/tsbox.ts";
import { ok, withSeededRoot } from "../container/_lifecycle.ts";

const MAC = "02:42:ac:11:00:99";

Deno.test("run --mac-address: eth0 has the address; inspect shows it; --network none refuses it", async () => {
  await withSeededRoot(async (root) => {
    try {
      const id = (await ok(root, [
        "run",
        "-d",
        "--mac-address",
        MAC.toUpperCase(),
        "busybox",
        "sleep",
        "300",
      ])).stdout.trim();
      const r = await ok(root, ["exec", id, "cat", "/sys/class/net/eth0/address"]);
      assertEquals(r.stdout.trim(), MAC);
      const info = JSON.parse((await ok(root, ["inspect", id])).stdout)[0];
      assertEquals(info.NetworkSettings.Networks.bridge.MacAddress, MAC);
      await ok(root, ["rm", "-f", id]);
      const bad = await tsbox(root, [
        "run",
        "--rm",
        "--network",
        "none",
        "--mac-address",
        MAC,
        "busybox",
        "true",
      ]);
      assertEquals([bad.code, bad.stderr], [
        125,
        "tsbox: conflicting options: mac-address and the network mode\n",
      ]);
      const syntax = await tsbox(root, [
        "run",
        "--rm",
        "--mac-address",
        "02:42",
        "busybox",
        "true",
      ]);
      assertEquals([syntax.code, syntax.stderr], [
        125,
        "tsbox: 02:42 is not a valid mac address\n",
      ]);
    } finally {
      await tsbox(root, ["network", "rm", "bridge"]);
    }
  });
});
