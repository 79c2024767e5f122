import { assertEquals } from "../helpers/assert.ts";
import {
  isConnectionRefused,
  isNameResolutionFailure,
  isNetworkError,
  withRetry,
} from "../../lib/registry/retry.ts";

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

Deno.test("withRetry: a refused connection is final (docker fails at once), a reset is retried", async () => {
  const policy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 };
  const refused = new TypeError("fetch failed", {
    cause: new Error("tcp connect error: Connection refused (os error 111)"),
  });
  assertEquals(isConnectionRefused(refused), true);
  let calls = 0;
  const err = await withRetry(policy, () => {
    calls++;
    return Promise.reject(refused);
  }).catch((e) => e);
  assertEquals([err, calls], [refused, 1]);
  calls = 0;
  const reset = new Deno.errors.ConnectionReset("reset");
  await withRetry(policy, () => {
    calls++;
    return Promise.reject(reset);
  }).catch((e) => e);
  assertEquals(calls, 4);
});
