import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { familiarName, normalizeReference, parseReference } from "../../lib/image/reference.ts";
import { UsageError } from "../../lib/errors.ts";

const D = "sha256:" + "a".repeat(64);

Deno.test("parseReference: docker normalisation", () => {
  assertEquals(normalizeReference("busybox"), "docker.io/library/busybox:latest");
  assertEquals(normalizeReference("user/app:1.0"), "docker.io/user/app:1.0");
  assertEquals(normalizeReference("localhost:5000/x"), "localhost:5000/x:latest");
  assertEquals(normalizeReference("127.0.0.1:5000/a/b:t"), "127.0.0.1:5000/a/b:t");
  assertEquals(normalizeReference(`busybox@${D}`), `docker.io/library/busybox@${D}`);
  assertEquals(parseReference("index.docker.io/library/busybox").domain, "docker.io");
  assertEquals(familiarName(parseReference("docker.io/library/busybox:1")), "busybox:1");
});

Deno.test("parseReference: invalid references", () => {
  for (
    const bad of ["", "UPPER", "a:b:c", "a@sha256:123", "-lead", "a/:t", "a:" + "x".repeat(200)]
  ) {
    assertThrows(() => parseReference(bad), UsageError, undefined);
  }
});
