import assert from "node:assert/strict";
import { parseChallenges } from "../../lib/registry/challenge.ts";

Deno.test("parseChallenges: Docker Hub's Bearer challenge", () => {
  const [c] = parseChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  );
  assert.equal(c.scheme, "bearer");
  assert.deepEqual(c.params, {
    realm: "https://auth.docker.io/token",
    service: "registry.docker.io",
    scope: "repository:library/busybox:pull",
  });
});

Deno.test("parseChallenges: several schemes, escapes, unquoted values", () => {
  const cs = parseChallenges(
    'Basic realm="a \\"b\\"", Bearer realm=https://x/token,error=insufficient_scope',
  );
  assert.equal(cs.length, 2);
  assert.deepEqual(cs[0], { scheme: "basic", params: { realm: 'a "b"' } });
  assert.deepEqual(cs[1], {
    scheme: "bearer",
    params: { realm: "https://x/token", error: "insufficient_scope" },
  });
  assert.deepEqual(parseChallenges(""), []);
});
