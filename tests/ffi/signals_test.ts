/**
 * ffi/process.ts's view of ignored signals: the SigIgn mask of
 * /proc/self/status, or the kernel asked signal by signal without it.
 */

import { assertEquals } from "../helpers/assert.ts";
import { ignoredSignals } from "../../ffi/process.ts";

Deno.test("signals: SigIgn's mask names the ignored signals (bit N-1 is signal N)", () => {
  const status = "Name:\tdeno\nSigBlk:\t0000000000000000\nSigIgn:\t0000000080001000\n";
  assertEquals(ignoredSignals(status), [13, 32]);
  assertEquals(ignoredSignals("SigIgn:\t0000000000000000\n"), []);
});

Deno.test("signals: without /proc the kernel is asked, and agrees with SigIgn", () => {
  const status = Deno.readTextFileSync("/proc/self/status");
  const asked = ignoredSignals(undefined);
  // Deno ignores SIGPIPE; SIGKILL and SIGSTOP are never listed (their action cannot change)
  assertEquals(asked.includes(13), true);
  assertEquals(asked, ignoredSignals(status).filter((s) => s !== 9 && s !== 19));
});
