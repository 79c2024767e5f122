/** planRemove: docker's untag-vs-delete rules, without disk. */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { planRemove, type RemoveInput } from "../../lib/image/remove_plan.ts";
import { ImageError } from "../../lib/errors.ts";

const ID = `sha256:${"ab".repeat(32)}`;
const D = `sha256:${"cd".repeat(32)}`;
const base = (over: Partial<RemoveInput>): RemoveInput => ({
  id: ID,
  tags: [],
  repoDigests: [],
  force: false,
  ...over,
});
const BB = "docker.io/library/busybox:latest";

Deno.test("planRemove: a name with other tags left only untags", () => {
  assertEquals(planRemove(base({ name: BB, tags: [BB, "docker.io/library/busybox:1"] })), {
    untag: [BB],
    dropDigests: [],
    deleteImage: false,
  });
});

Deno.test("planRemove: the last tag deletes, and drops digests of the same repository", () => {
  const digest = `docker.io/library/busybox@${D}`;
  const other = `docker.io/library/alpine@${D}`;
  assertEquals(planRemove(base({ name: BB, tags: [BB], repoDigests: [digest] })), {
    untag: [BB],
    dropDigests: [digest],
    deleteImage: true,
  });
  assertEquals(
    planRemove(base({ name: BB, tags: [BB], repoDigests: [digest, other] })).deleteImage,
    false,
  );
});

Deno.test("planRemove: container users need -f for the last reference; -f untags but keeps", () => {
  assertThrows(
    () => planRemove(base({ name: BB, tags: [BB], usedBy: "c".repeat(64) })),
    ImageError,
    "(must force)",
  );
  assertEquals(planRemove(base({ name: BB, tags: [BB], usedBy: "c".repeat(64), force: true })), {
    untag: [BB],
    dropDigests: [],
    deleteImage: false,
  });
  assertThrows(
    () => planRemove(base({ usedBy: "c".repeat(64) })),
    ImageError,
    "being used by container cccccccccccc",
  );
});

Deno.test("planRemove: by id, several repositories need -f; one repository untags all and deletes", () => {
  const two = [BB, "docker.io/library/alpine:latest"];
  assertThrows(
    () => planRemove(base({ tags: two })),
    ImageError,
    "referenced in multiple repositories",
  );
  assertEquals(planRemove(base({ tags: two, force: true })), {
    untag: two,
    dropDigests: [],
    deleteImage: true,
  });
  assertEquals(planRemove(base({ tags: [BB] })), {
    untag: [BB],
    dropDigests: [],
    deleteImage: true,
  });
  assertEquals(planRemove(base({})), { untag: [], dropDigests: [], deleteImage: true });
});
