/**
 * Runs last (files run in name order): after the whole suite nothing of
 * tsbox may be left on the host — no mounts, cgroups or processes.
 */

import { assertEquals } from "./helpers/assert.ts";
import { tsboxCgroups } from "./helpers/cgroup_leaks.ts";
import { linksBaseline, tsboxLinks } from "./helpers/link_leaks.ts";
import { bridgesWithRules } from "../lib/net/host_rules.ts";

/** What tests/aa_baseline_test.ts recorded before the suite (this module loads after it ran). */
const BASELINE = linksBaseline();

Deno.test("suite: no tsbox mounts left in /proc/self/mountinfo", () => {
  const left = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((l) => /tsbox|\/containers\/[0-9a-f]{12}/.test(l));
  assertEquals(left, []);
});

Deno.test({
  name: "suite: no bridges or veths left by the suite's state roots",
  // run alone (deno test tests/zz_leak_check_test.ts) there is no baseline: nothing to compare
  ignore: BASELINE === undefined,
  fn: () => {
    const before = new Set(BASELINE!.links);
    assertEquals(tsboxLinks().filter((l) => !before.has(l)), []);
  },
});

Deno.test({
  name: "suite: no iptables rules left by the suite's networks",
  ignore: BASELINE === undefined,
  fn: async () => {
    const before = new Set(BASELINE!.rules);
    assertEquals((await bridgesWithRules()).filter((b) => !before.has(b)), []);
  },
});

Deno.test("suite: no tsbox cgroups left in any hierarchy (v1, hybrid or v2, at any depth)", () => {
  assertEquals(tsboxCgroups(), []);
});

Deno.test("suite: no tsbox init, monitor or exec processes left", () => {
  const left: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    let cmdline: string;
    try {
      cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
    } catch (err) {
      // the process exited while we were listing
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    if (/ __(init|monitor|exec)\b/.test(cmdline) && cmdline.includes("tsbox-test")) {
      left.push(`${e.name}: ${cmdline}`);
    }
    // a container's user-mode network helper (its run dir is tsbox-net-*)
    if (/^\S*(slirp4netns|pasta)\b/.test(cmdline) && cmdline.includes("tsbox-net-")) {
      left.push(`${e.name}: ${cmdline}`);
    }
  }
  assertEquals(left, []);
});
