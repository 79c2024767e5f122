/**
 * Runs first (files run in name order): records the host's tsbox links
 * before the suite, for tests/zz_leak_check_test.ts to compare with.
 */

import { recordLinksBaseline } from "./helpers/link_leaks.ts";

Deno.test("suite: record the host's links before any test", async () => {
  await recordLinksBaseline();
});
