/** Output helpers: docker's size/age wording and padded tables. */

import { assertEquals } from "../helpers/assert.ts";
import { humanDuration, humanSize, since, table } from "../../lib/image/format.ts";

Deno.test("humanSize: 3 significant digits, decimal units", () => {
  assertEquals([0, 999, 1000, 4_261_234, 1_234_567_890].map(humanSize), [
    "0B",
    "999B",
    "1kB",
    "4.26MB",
    "1.23GB",
  ]);
});

Deno.test("humanDuration/since: docker's wording", () => {
  assertEquals(humanDuration(500), "Less than a second");
  assertEquals(humanDuration(45_000), "45 seconds");
  assertEquals(humanDuration(3_600_000), "About an hour");
  assertEquals(humanDuration(15 * 86_400_000), "2 weeks");
  assertEquals(since("2024-01-01T00:00:00Z", Date.parse("2024-01-04T00:00:00Z")), "3 days ago");
  assertEquals(since(undefined), "N/A");
});

Deno.test("table: pads every column but the last by 3 spaces", () => {
  assertEquals(table([["A", "BB"], ["ccc", "d"]]), "A     BB\nccc   d");
});
