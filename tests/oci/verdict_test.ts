/** test:oci's verdict: a program that yields fewer passes than under runc fails the run. */

import { assertEquals } from "../helpers/assert.ts";
import { type RuntimeReport, shortPrograms } from "./run_validation.ts";

function report(label: string, passed: Record<string, number>): RuntimeReport {
  const programs: RuntimeReport["programs"] = {};
  for (const [name, n] of Object.entries(passed)) {
    programs[name] = { passed: n, failed: 0, skipped: 0, failures: [], exit: "exit 0", seconds: 0 };
  }
  const total = {
    passed: Object.values(passed).reduce((a, b) => a + b, 0),
    failed: 0,
    skipped: 0,
    failures: [],
  };
  return {
    label,
    path: label,
    seconds: 0,
    total,
    programs,
    leftovers: { containers: 0, mounts: 0, cgroups: 0 },
  };
}

Deno.test("shortPrograms: a program stopping early is named even when the total is higher", () => {
  const runc = report("runc", { process_rlimits: 281, default: 270, linux_ns_itype: 7 });
  const tsbox = report("tsbox-runc", { process_rlimits: 1, default: 600, linux_ns_itype: 6 });
  // the total (607) beats runc's (558); process_rlimits does not; linux_ns_itype is known
  assertEquals(shortPrograms(runc, tsbox), ["process_rlimits: 1 passed, runc 281"]);
  // linux_ns_itype absent: a known shortfall; a missing program otherwise counts as none passed
  assertEquals(shortPrograms(runc, report("x", { process_rlimits: 281, default: 270 })), []);
  assertEquals(shortPrograms(runc, report("y", { default: 270 })), [
    "process_rlimits: 0 passed, runc 281",
  ]);
});
