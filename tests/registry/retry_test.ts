import { assertEquals } from "../helpers/assert.ts";
import { isNameResolutionFailure, isNetworkError } from "../../lib/registry/retry.ts";

Deno.test("isNetworkError: resets are transient, an unresolvable host name is final", () => {
  assertEquals(isNetworkError(new Deno.errors.ConnectionReset("reset")), true);
  assertEquals(isNetworkError(new TypeError("error sending request: connection closed")), true);
  const dns = new TypeError("fetch failed", {
    cause: new Error(
      "client error (Connect): dns error: failed to lookup address information: Name or service not known",
    ),
  });
  assertEquals(isNameResolutionFailure(dns), true);
  assertEquals(isNetworkError(dns), false);
});
