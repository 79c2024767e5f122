/** donorShmOf: which spec mount the init attaches the IPC donor's /dev/shm at (pure). */

import { assertEquals } from "../helpers/assert.ts";
import { donorShmOf, type Joins } from "../../lib/container/namespace_join.ts";
import { withShm } from "../../lib/specgen/namespaces.ts";
import { DEFAULT_MOUNTS } from "../../lib/oci/defaults.ts";
import type { Spec } from "../../lib/oci/spec.ts";

const SHM = { source: "/proc/77/root/dev/shm", mntns: "/proc/5/fd/9" };

function joins(shm?: Joins["shm"]): Joins {
  return { pid: undefined, ipc: "/proc/5/fd/8", uts: undefined, net: undefined, shm, close() {} };
}

Deno.test("donorShmOf: the index of the donor's /dev/shm bind and its mount namespace", () => {
  const mounts = withShm([...DEFAULT_MOUNTS], "container:abc", 1, SHM.source);
  const spec: Spec = { ociVersion: "1.2.0", mounts };
  const index = mounts.findIndex((m) => m.destination === "/dev/shm");
  assertEquals(donorShmOf(spec, joins(SHM)), { donorShm: { index, mntns: SHM.mntns } });
});

Deno.test("donorShmOf: nothing without an IPC donor, or when the spec has no such bind", () => {
  const own: Spec = { ociVersion: "1.2.0", mounts: withShm([...DEFAULT_MOUNTS], "private", 1) };
  assertEquals(donorShmOf(own, undefined), {});
  assertEquals(donorShmOf(own, joins()), {});
  assertEquals(donorShmOf(own, joins(SHM)), {}); // a tmpfs at /dev/shm is not the donor's
});
