/** Pure parts of user namespaces: flags, subordinate ids, allocation, the util-linux stage. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { UsageError } from "../../lib/errors.ts";
import { hostIdOf, parseUserns } from "../../lib/userns/maps.ts";
import { firstFree, resolveUserns } from "../../lib/userns/allocate.ts";
import { parseSubid, withinRanges } from "../../lib/userns/subid.ts";
import { initStage } from "../../lib/container/init_stage.ts";
import { idMapText } from "../../lib/container/init_child.ts";

const none = { uidmap: [], gidmap: [] };

Deno.test("parseUserns: host by default, TSBOX_USERNS as the default, auto sizes, maps", () => {
  assertEquals(parseUserns(none), { mode: "host" });
  assertEquals(parseUserns(none, "auto"), { mode: "auto", size: 65536 });
  assertEquals(parseUserns({ ...none, userns: "host" }, "auto"), { mode: "host" });
  assertEquals(parseUserns({ ...none, userns: "auto:size=1024" }), { mode: "auto", size: 1024 });
  const m = parseUserns({ uidmap: ["0:100000:1000"], gidmap: [] });
  assertEquals(m, {
    mode: "map",
    uid: [{ containerID: 0, hostID: 100000, size: 1000 }],
    gid: [{ containerID: 0, hostID: 100000, size: 1000 }],
  });
});

Deno.test("parseUserns: bad syntax, overlaps and conflicts are UsageErrors", () => {
  for (
    const f of [
      { ...none, userns: "bogus" },
      { ...none, userns: "auto:size=0" },
      { uidmap: ["1:2"], gidmap: [] },
      { uidmap: ["0:100000:10", "5:200000:10"], gidmap: [] },
      { uidmap: ["0:100000:10", "10:100005:10"], gidmap: [] },
      { uidmap: ["0:4294967290:10"], gidmap: [] },
      { userns: "auto", uidmap: ["0:100000:10"], gidmap: [] },
    ]
  ) assertThrows(() => parseUserns(f), UsageError);
});

Deno.test("parseSubid / withinRanges: by name or uid, comments and junk skipped", () => {
  const text = "# x\nalice:100000:65536\n1001:300000:10\nbob:1:x\nalice:500000:5\n";
  assertEquals(parseSubid(text, { name: "alice", uid: 1000 }), [
    { start: 100000, count: 65536 },
    { start: 500000, count: 5 },
  ]);
  assertEquals(parseSubid(text, { name: "carol", uid: 1001 }), [{ start: 300000, count: 10 }]);
  assertEquals(parseSubid(text, { name: "bob" }), []);
  assertEquals(withinRanges(100000, 65536, [{ start: 100000, count: 65536 }]), true);
  assertEquals(withinRanges(100001, 65536, [{ start: 100000, count: 65536 }]), false);
});

Deno.test("firstFree: first fit around used blocks, none when full", () => {
  const r = [{ start: 1000, count: 300 }];
  assertEquals(firstFree(100, r, []), 1000);
  assertEquals(firstFree(100, r, [{ start: 1000, count: 100 }]), 1100);
  assertEquals(firstFree(100, r, [{ start: 1050, count: 10 }]), 1060);
  assertEquals(
    firstFree(100, r, [{ start: 1000, count: 100 }, { start: 1150, count: 100 }]),
    undefined,
  );
  assertEquals(firstFree(100, [{ start: 0, count: 50 }, ...r], []), 1000);
});

Deno.test("resolveUserns: auto allocates disjoint blocks; maps must stay in tsbox's ranges", () => {
  const ranges = () => ({ uid: [{ start: 1000, count: 200 }], gid: [{ start: 5000, count: 200 }] });
  const a = resolveUserns({ mode: "auto", size: 100 }, { uid: [], gid: [] }, ranges)!;
  assertEquals(a.uidMappings, [{ containerID: 0, hostID: 1000, size: 100 }]);
  assertEquals(a.gidMappings, [{ containerID: 0, hostID: 5000, size: 100 }]);
  const used = { uid: [{ start: 1000, count: 100 }], gid: [{ start: 5000, count: 100 }] };
  const b = resolveUserns({ mode: "auto", size: 100 }, used, ranges)!;
  assertEquals(b.uidMappings[0].hostID, 1100);
  assertThrows(() => resolveUserns({ mode: "auto", size: 150 }, used, ranges), UsageError);
  assertThrows(
    () => resolveUserns({ mode: "auto", size: 1 }, used, () => ({ uid: [], gid: [] })),
    UsageError,
  );
  const inside = { containerID: 0, hostID: 1010, size: 10 };
  assertEquals(
    resolveUserns({ mode: "map", uid: [inside], gid: [{ ...inside, hostID: 5010 }] }, used, ranges)
      ?.mode,
    "map",
  );
  assertThrows(
    () =>
      resolveUserns({ mode: "map", uid: [{ ...inside, hostID: 10 }], gid: [inside] }, used, ranges),
    UsageError,
  );
  assertEquals(resolveUserns({ mode: "host" }, used, ranges), undefined);
  assertEquals(hostIdOf(a.uidMappings, 5), 1005);
  assertEquals(hostIdOf(a.uidMappings, 100), undefined);
});

Deno.test("initStage: util-linux in front of the init only with a user namespace (or rootless)", () => {
  const plain = initStage([{ type: "pid" }, { type: "mount" }]);
  assertEquals(plain, { prefix: [], forks: false, userns: false, newUserns: false });
  const fresh = initStage([{ type: "user" }, { type: "pid" }]);
  assertEquals(fresh.prefix.map((p) => p.split("/").pop()), [
    "unshare",
    "--user",
    "--keep-caps",
    "--pid",
    "--",
    "setsid",
    "--fork",
    "--",
  ]);
  assertEquals([fresh.forks, fresh.userns, fresh.newUserns], [true, true, true]);
  const joined = initStage([{ type: "user", path: "/proc/1/ns/user" }]);
  assertEquals(joined.prefix.slice(1), ["--user=/proc/1/ns/user", "--"]);
  assertEquals([joined.forks, joined.newUserns], [false, false]);
  const rootless = initStage([{ type: "pid" }], true);
  assertEquals(rootless.prefix.map((p) => p.split("/").pop()).slice(0, 3), [
    "unshare",
    "--pid",
    "--",
  ]);
  assertEquals([rootless.forks, rootless.userns, rootless.newUserns], [true, true, false]);
  assertThrows(
    () => initStage([{ type: "user" }, { type: "pid", path: "/proc/1/ns/pid" }]),
    UsageError,
  );
  assertEquals(
    idMapText([{ containerID: 0, hostID: 100, size: 5 }, { containerID: 5, hostID: 7, size: 1 }]),
    "0 100 5\n5 7 1\n",
  );
});
