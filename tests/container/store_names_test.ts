/** Trash names carry the remover; only tsbox's own names parse. */

import { assertEquals } from "../helpers/assert.ts";
import { parseTrashName, trashName } from "../../lib/container/store.ts";
import { parseCidr, unusableSubnet } from "../../lib/net/ipv4.ts";

const ID = "a".repeat(64);

Deno.test("trashName/parseTrashName: round trip; an older tsbox's name has a dead remover", () => {
  const name = trashName(ID, { pid: 42, startTime: 777 });
  assertEquals(parseTrashName(name), { id: ID, remover: { pid: 42, startTime: 777 } });
  assertEquals(parseTrashName(`.removing-${ID}`), { id: ID, remover: { pid: 0 } });
  assertEquals(parseTrashName(ID), undefined);
  assertEquals(parseTrashName(`.removing-${ID}.1`), undefined);
  assertEquals(parseTrashName(`.creating-${ID}`), undefined);
});

Deno.test("unusableSubnet: special ranges are named, private ones pass", () => {
  assertEquals(unusableSubnet(parseCidr("0.0.0.0/8")!), '"this network" (0.0.0.0/8)');
  assertEquals(unusableSubnet(parseCidr("127.1.0.0/16")!), "loopback (127.0.0.0/8)");
  assertEquals(unusableSubnet(parseCidr("0.0.0.0/1")!), '"this network" (0.0.0.0/8)');
  assertEquals(unusableSubnet(parseCidr("10.90.0.0/24")!), undefined);
  assertEquals(unusableSubnet(parseCidr("172.18.0.0/16")!), undefined);
});
