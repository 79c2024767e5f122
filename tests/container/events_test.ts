/**
 * The event log: container, network and volume records, appends and
 * rotation, torn lines, filters and docker's line.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import {
  appendEvent,
  containerEvent,
  eventsPath,
  networkEvent,
  parseEventLines,
  recordVolumeMounts,
  rotatedEventsPath,
  volumeEvent,
} from "../../lib/container/events.ts";
import { defaultLine, eventView, matchEvent } from "../../lib/cli/events.ts";
import { parseFilters } from "../../lib/filters.ts";
import { pathsFor } from "../../lib/paths.ts";
import { exists } from "../../lib/fsutil.ts";

const C = {
  id: "a".repeat(64),
  name: "web",
  labels: { tier: "front" },
  spec: { image: "busybox" },
};
const ev = (action: string, extra?: Record<string, string>) =>
  containerEvent(action, C as never, extra);

Deno.test("containerEvent: docker's attributes, strictly increasing nanoseconds", () => {
  const a = ev("create");
  const b = ev("start");
  assertEquals(a.Actor.Attributes, { tier: "front", image: "busybox", name: "web" });
  assert(BigInt(b.timeNano) > BigInt(a.timeNano));
  assertEquals(a.time, Number(BigInt(a.timeNano) / 1_000_000_000n));
});

Deno.test("appendEvent: one line per event; rotated past the cap, one old file kept", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-events-" });
  try {
    const paths = pathsFor(root);
    const line = JSON.stringify(ev("create")).length + 1;
    // three lines fit under the cap; the fourth pushes the file past it: rotated
    for (let i = 0; i < 4; i++) appendEvent(paths, ev("create"), line * 3 + 1);
    assertEquals(parseEventLines(Deno.readTextFileSync(rotatedEventsPath(paths))).length, 4);
    assertEquals(exists(eventsPath(paths)), false);
    appendEvent(paths, ev("start"), line * 3 + 1);
    assertEquals(parseEventLines(Deno.readTextFileSync(eventsPath(paths))).map((e) => e.Action), [
      "start",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("parseEventLines: a torn last line is skipped", () => {
  const line = JSON.stringify(ev("die", { exitCode: "0" }));
  assertEquals(parseEventLines(`${line}\n${line.slice(0, 20)}`).map((e) => e.Action), ["die"]);
});

Deno.test("matchEvent: container by id or name prefix, event (health_status prefix), label, image", () => {
  const f = (...v: string[]) => parseFilters(v, ["container", "event", "image", "label", "type"]);
  const health = ev("health_status: healthy");
  assert(matchEvent(f("container=aaaa"), health));
  assert(matchEvent(f("container=we"), health));
  assert(!matchEvent(f("container=db"), health));
  assert(matchEvent(f("event=health_status"), health));
  assert(matchEvent(f("event=die", "event=health_status: healthy"), health));
  assert(!matchEvent(f("event=die"), health));
  assert(matchEvent(f("label=tier=front", "image=busybox", "type=container"), health));
  assert(!matchEvent(f("label=tier=back"), health));
});

Deno.test("defaultLine and eventView: docker's line; Go field names, JSON names in json", () => {
  const e = { ...ev("kill", { signal: "15" }), timeNano: "1700000000000000042", time: 1700000000 };
  assertEquals(
    defaultLine(e),
    `2023-11-14T22:13:20.000000042Z container kill ${C.id} (image=busybox, name=web, signal=15, tier=front)`,
  );
  const v = eventView(e);
  assertEquals([v.Status, v.ID, v.From], ["kill", C.id, "busybox"]);
  const json = JSON.parse(JSON.stringify(v));
  assertEquals(Object.keys(json), [
    "status",
    "id",
    "from",
    "Type",
    "Action",
    "Actor",
    "scope",
    "time",
    "timeNano",
  ]);
});

const NET = { id: "b".repeat(64), name: "front", driver: "bridge" };
const FILTER_KEYS = ["container", "event", "network", "volume", "type", "label"];

Deno.test("networkEvent, volumeEvent: docker's actors and attributes; a prune has no actor", () => {
  const c = networkEvent("connect", NET, { container: C.id });
  assertEquals([c.Type, c.Action, c.Actor.ID, c.scope], ["network", "connect", NET.id, "local"]);
  assertEquals(c.Actor.Attributes, { container: C.id, name: "front", type: "bridge" });
  assertEquals(networkEvent("create", NET).Actor.Attributes, { name: "front", type: "bridge" });
  const p = networkEvent("prune", undefined, { reclaimed: "0" });
  assertEquals([p.Actor.ID, p.Actor.Attributes], ["", { reclaimed: "0" }]);
  const v = volumeEvent("create", "data");
  assertEquals([v.Type, v.Actor.ID, v.Actor.Attributes], ["volume", "data", { driver: "local" }]);
  assertEquals(volumeEvent("prune", "", { reclaimed: "42" }).Actor, {
    ID: "",
    Attributes: { reclaimed: "42" },
  });
  assert(BigInt(v.timeNano) > BigInt(c.timeNano));
});

Deno.test("parseEventLines: an old container line (before network/volume events) still reads", () => {
  const old =
    '{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"name":"web"}},"scope":"local","time":1700000000,"timeNano":"1700000000000000000"}';
  const [ev] = parseEventLines(old + "\n");
  assertEquals([ev.Type, ev.Action, ev.Actor.Attributes.name], ["container", "start", "web"]);
});

Deno.test("matchEvent: network= and volume= by id or name prefix, type=, and each applies to all types", () => {
  const f = (...v: string[]) => parseFilters(v, FILTER_KEYS);
  const conn = networkEvent("connect", NET, { container: C.id });
  const vol = volumeEvent("mount", "data", { container: C.id, destination: "/d" });
  const start = ev("start");
  assert(matchEvent(f("network=front"), conn));
  assert(matchEvent(f("network=fr"), conn));
  assert(matchEvent(f("network=bbbbbb"), conn));
  assert(!matchEvent(f("network=back"), conn));
  assert(matchEvent(f("network=back", "network=front"), conn));
  // docker: a network= filter keeps that network's events only, a container= one its container's
  assert(!matchEvent(f("network=front"), start));
  assert(!matchEvent(f("container=web"), conn));
  assert(matchEvent(f("volume=data"), vol));
  assert(matchEvent(f("volume=da"), vol));
  assert(!matchEvent(f("volume=logs"), vol));
  assert(!matchEvent(f("volume=data"), conn));
  assert(matchEvent(f("type=network", "event=connect"), conn));
  assert(!matchEvent(f("type=network", "event=disconnect"), conn));
  assert(matchEvent(f("type=volume", "type=network"), vol));
  assert(!matchEvent(f("type=container"), vol));
  assert(matchEvent(f("type=container"), start));
});

Deno.test("eventView: a network event has no status/id/from (docker fills them for containers only)", () => {
  const e = {
    ...networkEvent("disconnect", NET, { container: C.id }),
    timeNano: "1700000000000000042",
    time: 1700000000,
  };
  const v = eventView(e);
  assertEquals([v.Status, v.ID, v.From, v.Type, v.Action], ["", "", "", "network", "disconnect"]);
  const json = JSON.parse(JSON.stringify(v));
  assertEquals(Object.keys(json), ["Type", "Action", "Actor", "scope", "time", "timeNano"]);
  assertEquals(json.Actor.ID, NET.id);
  assertEquals(
    defaultLine(e),
    `2023-11-14T22:13:20.000000042Z network disconnect ${NET.id} (container=${C.id}, name=front, type=bridge)`,
  );
});

Deno.test("recordVolumeMounts: one mount event per volume (not binds or tmpfs), docker's attributes", () => {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-events-" });
  try {
    const paths = pathsFor(root);
    const vol = (name: string, target: string, readOnly: boolean) => ({
      type: "volume",
      source: `/v/${name}/_data`,
      target,
      readOnly,
      propagation: "rprivate",
      targetKind: "dir",
      volume: { name, dir: `/v/${name}`, anonymous: false, created: false, copyUp: true },
    });
    const mounts = [
      vol("data", "/data", false),
      { type: "bind", source: "/etc", target: "/host", readOnly: true, propagation: "rprivate" },
      { type: "tmpfs", source: "tmpfs", target: "/tmp", readOnly: false, propagation: "rprivate" },
      vol("cfg", "/cfg", true),
    ];
    recordVolumeMounts(paths, "mount", { id: C.id, mounts });
    recordVolumeMounts(paths, "unmount", { id: C.id, mounts });
    recordVolumeMounts(paths, "mount", { id: C.id, mounts: [] });
    const evs = parseEventLines(Deno.readTextFileSync(eventsPath(paths)));
    assertEquals(evs.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`), [
      "volume mount data",
      "volume mount cfg",
      "volume unmount data",
      "volume unmount cfg",
    ]);
    assertEquals(evs[1].Actor.Attributes, {
      driver: "local",
      container: C.id,
      destination: "/cfg",
      propagation: "",
      "read/write": "false",
    });
    assertEquals(evs[2].Actor.Attributes, { driver: "local", container: C.id });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
