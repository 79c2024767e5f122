/** The event log: records, appends and rotation, torn lines, filters and docker's line. */

import { assert, assertEquals } from "../helpers/assert.ts";
import {
  appendEvent,
  containerEvent,
  eventsPath,
  parseEventLines,
  rotatedEventsPath,
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
