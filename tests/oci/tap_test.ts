import { assertEquals } from "../helpers/assert.ts";
import { parseTap, tallyProgram } from "./_tap.ts";

const SAMPLE = `TAP version 13
ok 1 - has expected hostname
  ---
  {
    "not ok 9 - inside YAML": "ignored"
  }
  ...
not ok 2 - devices c 10:229 rwm is set correctly
ok 3 # SKIP linux.sysctl not set
ok 4 - flaky thing # TODO later
1..4`;

Deno.test("parseTap: top-level results, directives and plan; YAML ignored", () => {
  const doc = parseTap(SAMPLE);
  assertEquals(doc.plan, 4);
  assertEquals(doc.results.map((r) => [r.n, r.ok, r.skip, r.todo, r.name]), [
    [1, true, false, false, "has expected hostname"],
    [2, false, false, false, "devices c 10:229 rwm is set correctly"],
    [3, true, true, false, "linux.sysctl not set"],
    [4, true, false, true, "flaky thing"],
  ]);
});

Deno.test("parseTap: a plan glued to following output still counts", () => {
  assertEquals(parseTap("ok 1 - a\n1..1stat /tmp/x: no such file").plan, 1);
});

Deno.test("tallyProgram: counts passes, failures and skips with program-qualified names", () => {
  const t = tallyProgram("devices", parseTap(SAMPLE), { success: true, how: "exit 0" });
  assertEquals([t.passed, t.failed, t.skipped], [2, 1, 1]);
  assertEquals(t.failures, ["devices: #2 devices c 10:229 rwm is set correctly"]);
});

Deno.test("tallyProgram: a non-zero exit is one more failure, even after a full plan", () => {
  const t = tallyProgram("caps_fail", parseTap("ok 1 - a\n1..1\n"), {
    success: false,
    how: "exit 1",
  });
  assertEquals([t.passed, t.failed], [1, 1]);
  assertEquals(t.failures, ["caps_fail: exit 1 after 1 results"]);
});

Deno.test("tallyProgram: fewer results than planned is a failure", () => {
  const t = tallyProgram("x", parseTap("ok 1 - a\n1..3\n"), { success: true, how: "exit 0" });
  assertEquals([t.passed, t.failed], [1, 1]);
});

Deno.test("tallyProgram: a silent exit 0 (a *_fail program refused) is one pass", () => {
  const t = tallyProgram("rlimits_fail", parseTap(""), { success: true, how: "exit 0" });
  assertEquals([t.passed, t.failed], [1, 0]);
});

Deno.test("tallyProgram: a timeout with no output is a failure naming the timeout", () => {
  const t = tallyProgram("hang", parseTap(""), { success: false, how: "timeout after 120 s" });
  assertEquals(t.failures, ["hang: timeout after 120 s after 0 results"]);
});
