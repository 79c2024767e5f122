/**
 * Runs last (files run in name order): after the whole suite nothing of
 * tsbox may be left on the host — no mounts, cgroups or processes.
 */

import { assertEquals } from "./helpers/assert.ts";

Deno.test("suite: no tsbox mounts left in /proc/self/mountinfo", () => {
  const left = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((l) => /tsbox|\/containers\/[0-9a-f]{12}/.test(l));
  assertEquals(left, []);
});

Deno.test("suite: no tsbox cgroups left in any hierarchy", () => {
  const left: string[] = [];
  for (const h of Deno.readDirSync("/sys/fs/cgroup")) {
    if (!h.isDirectory) continue;
    for (const e of Deno.readDirSync(`/sys/fs/cgroup/${h.name}`)) {
      if (e.isDirectory && e.name.startsWith("tsbox")) left.push(`${h.name}/${e.name}`);
    }
  }
  assertEquals(left, []);
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
  }
  assertEquals(left, []);
});
