/** lib/url.ts against node:url's fileURLToPath (the oracle). */

import { fileURLToPath } from "node:url";
import { fromFileUrl } from "../../lib/url.ts";
import { assertEquals } from "../helpers/assert.ts";

function outcome(f: () => string): string {
  try {
    return `path ${f()}`;
  } catch (err) {
    return `throws ${(err as Error).constructor.name}`;
  }
}

Deno.test("fromFileUrl: as node:url on plain, escaped, hosted and foreign URLs", () => {
  const urls = [
    "file:///",
    "file:///a/b.ts",
    "file:///a%20b/c%25d",
    "file:///caf%C3%A9/%E2%9C%93",
    "file:///a/%2F/b",
    "file:///a/%2f",
    "file:///a/b/",
    "file:///a/./b/../c",
    "file://localhost/x",
    "file://host/x",
    "file:///a?q=1#h",
    "http://x/a",
    "not a url",
  ];
  for (const u of urls) {
    assertEquals(outcome(() => fromFileUrl(u)), outcome(() => fileURLToPath(u)), u);
    if (URL.canParse(u)) {
      assertEquals(
        outcome(() => fromFileUrl(new URL(u))),
        outcome(() => fileURLToPath(new URL(u))),
        u,
      );
    }
  }
  assertEquals(fromFileUrl(import.meta.url).endsWith("/tests/lib/url_test.ts"), true);
});
