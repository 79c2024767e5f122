import assert from "node:assert/strict";
import { endpointFor, isInsecure, parseInsecureList } from "../../lib/registry/endpoint.ts";
import { registryKey } from "../../lib/registry/credentials.ts";

Deno.test("endpointFor: HTTPS by default, Docker Hub's API host, HTTP only for loopback and listed hosts", () => {
  assert.deepEqual(endpointFor("docker.io", []), {
    domain: "docker.io",
    base: "https://registry-1.docker.io",
    insecure: false,
  });
  assert.equal(endpointFor("ghcr.io", []).base, "https://ghcr.io");
  assert.equal(endpointFor("example.com:5000", []).base, "https://example.com:5000");
  for (const h of ["localhost:5000", "localhost", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"]) {
    assert.equal(endpointFor(h, []).base, `http://${h}`, h);
  }
  assert.equal(endpointFor("reg.lan:5000", ["reg.lan"]).base, "http://reg.lan:5000");
  assert.equal(endpointFor("reg.lan:5000", ["reg.lan:5001"]).base, "https://reg.lan:5000");
  assert.equal(isInsecure("reg.lan:5000", ["http://reg.lan:5000/"]), true);
  assert.equal(isInsecure("128.0.0.1", []), false);
  assert.equal(isInsecure("localhost.evil.com", []), false);
  assert.deepEqual(parseInsecureList(" a:1, b c "), ["a:1", "b", "c"]);
});

Deno.test("registryKey: normalises what users type for a server", () => {
  assert.equal(registryKey("https://index.docker.io/v1/"), "docker.io");
  assert.equal(registryKey("registry-1.docker.io"), "docker.io");
  assert.equal(registryKey("http://Localhost:5000/"), "localhost:5000");
});
