/** specgen of shared namespaces and /dev/shm (pure). */

import { assertEquals } from "../helpers/assert.ts";
import { DEFAULT_SHM_SIZE, specNamespaces, withShm } from "../../lib/specgen/namespaces.ts";
import { DEFAULT_MOUNTS } from "../../lib/oci/defaults.ts";

Deno.test("specNamespaces: new, joined by path, or left out for the host's", () => {
  assertEquals(specNamespaces({}, true).map((n) => n.type), [
    "pid",
    "ipc",
    "uts",
    "mount",
    "network",
    "cgroup",
  ]);
  const shared = specNamespaces({ pid: "/proc/9/fd/5", ipc: null, uts: null, net: null }, false);
  assertEquals(shared, [{ type: "pid", path: "/proc/9/fd/5" }, { type: "mount" }]);
});

Deno.test("withShm: size in KiB, the host's /dev/shm bound for host, none for none", () => {
  const shm = (mode: string, size = DEFAULT_SHM_SIZE) =>
    withShm([...DEFAULT_MOUNTS], mode, size).filter((m) => m.destination === "/dev/shm");
  assertEquals(shm("private")[0].options?.filter((o) => o.startsWith("size=")), ["size=65536k"]);
  assertEquals(shm("shareable", 1000)[0].options?.at(-1), "size=1k");
  assertEquals(shm("host"), [{
    destination: "/dev/shm",
    type: "bind",
    source: "/dev/shm",
    options: ["rbind", "rprivate"],
  }]);
  assertEquals(shm("none"), []);
  assertEquals(withShm([...DEFAULT_MOUNTS], "none", 1).length, DEFAULT_MOUNTS.length - 1);
});

Deno.test("withShm: container: binds the donor's /dev/shm at a start, a tmpfs before any join", () => {
  const source = "/proc/77/root/dev/shm";
  const joined = withShm([...DEFAULT_MOUNTS], "container:abc", DEFAULT_SHM_SIZE, source)
    .filter((m) => m.destination === "/dev/shm");
  assertEquals(joined, [{
    destination: "/dev/shm",
    type: "bind",
    source,
    options: ["bind", "rprivate"],
  }]);
  const created = withShm([...DEFAULT_MOUNTS], "container:abc", DEFAULT_SHM_SIZE)
    .filter((m) => m.destination === "/dev/shm");
  assertEquals([created.length, created[0].type], [1, "tmpfs"]);
  // the donor's source matters only for container: modes
  assertEquals(
    withShm([...DEFAULT_MOUNTS], "private", 1024, source).find((m) => m.destination === "/dev/shm")
      ?.type,
    "tmpfs",
  );
});
