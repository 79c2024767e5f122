/** `--pid`/`--ipc`/`--uts` parsing and docker's conflicts (pure). */

import { assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  checkNamespacedSysctls,
  parseNamespaceFlags,
} from "../../lib/container/namespace_modes.ts";
import { UsageError } from "../../lib/errors.ts";

const NET = { network: "bridge" };

Deno.test("parseNamespaceFlags: docker's modes; ipc defaults to private", () => {
  assertEquals(parseNamespaceFlags({}, NET), { pid: "", ipc: "private", uts: "" });
  assertEquals(
    parseNamespaceFlags({ pid: "host", ipc: "container:db", uts: "host" }, NET),
    { pid: "host", ipc: "container:db", uts: "host" },
  );
  for (const ipc of ["shareable", "none", "host", "private"]) {
    assertEquals(parseNamespaceFlags({ ipc }, NET).ipc, ipc);
  }
});

Deno.test("parseNamespaceFlags: bad modes and conflicts are UsageErrors", () => {
  assertThrows(() => parseNamespaceFlags({ pid: "bogus" }, NET), UsageError, "invalid PID mode");
  assertThrows(() => parseNamespaceFlags({ ipc: "bogus" }, NET), UsageError, "invalid IPC mode");
  assertThrows(() => parseNamespaceFlags({ uts: "container:x" }, NET), UsageError, "UTS mode");
  assertThrows(() => parseNamespaceFlags({ pid: "container:" }, NET), UsageError, "name is needed");
  assertThrows(
    () => parseNamespaceFlags({ uts: "host" }, { ...NET, hostname: "h" }),
    UsageError,
    "hostname and the UTS mode",
  );
  assertThrows(
    () => parseNamespaceFlags({}, { network: "container:web", hostname: "h" }),
    UsageError,
    "hostname and the network mode",
  );
  assertThrows(
    () => parseNamespaceFlags({ ipc: "container:db" }, { ...NET, shmSize: "1m" }),
    UsageError,
    "conflicting options: shm-size and the container type IPC mode",
  );
  // the donor's /dev/shm is shared; a size of its own only with a /dev/shm of its own
  for (const ipc of ["private", "shareable"]) {
    assertEquals(parseNamespaceFlags({ ipc }, { ...NET, shmSize: "1m" }).ipc, ipc);
  }
});

Deno.test("checkNamespacedSysctls: IPC sysctls refused in the host's IPC namespace", () => {
  const host = { pid: "", ipc: "host", uts: "host" };
  assertThrows(() => checkNamespacedSysctls(host, { "kernel.shmmax": "1" }), UsageError);
  assertThrows(() => checkNamespacedSysctls(host, { "kernel.domainname": "x" }), UsageError);
  checkNamespacedSysctls({ pid: "", ipc: "private", uts: "" }, { "kernel.shmmax": "1" });
});
