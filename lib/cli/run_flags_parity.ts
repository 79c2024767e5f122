/**
 * The `run`/`create` flags for shared namespaces, /dev/shm, extra groups,
 * the MAC address and `-a/--attach`, kept apart from run_flags.ts so each
 * group of flags stays in one small place. Values are validated here when
 * the check is pure, by their owners otherwise.
 * @module
 */

import { type FlagDef, list, type ParsedFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import type { ContainerSpec } from "../container/types.ts";
import { validGroupAdd } from "../init/group_add.ts";

/** The flags. */
export const PARITY_RUN_FLAGS: FlagDef[] = [
  { name: "pid", type: "string" },
  { name: "ipc", type: "string" },
  { name: "uts", type: "string" },
  { name: "shm-size", type: "string" },
  { name: "group-add", type: "list" },
  { name: "mac-address", type: "string" },
  { name: "attach", short: "a", type: "list" },
];

/** Their lines of `run --help`. */
export const PARITY_USAGE = `
      --pid MODE             host | container:NAME (share its PID namespace)
      --ipc MODE             private (default) | shareable | none | host | container:NAME
                             (the donor must be shareable)
      --uts MODE             host (the host's hostname; no --hostname)
      --shm-size BYTES       size of /dev/shm (default 64m)
      --group-add GROUP      extra supplementary group: a name in the image's /etc/group,
                             or a number (repeatable)
      --mac-address MAC      the MAC address of the container's interface (bridge networks)
  -a, --attach STREAM        attach STDIN, STDOUT or STDERR (repeatable; default: STDOUT+STDERR)`;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const STREAMS = ["stdin", "stdout", "stderr"];

/**
 * The spec fields of these flags.
 * @throws {UsageError} a bad MAC, group or stream name.
 */
export function parityFields(p: ParsedFlags): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  const ns = { pid: str(p, "pid"), ipc: str(p, "ipc"), uts: str(p, "uts") };
  if (ns.pid !== undefined || ns.ipc !== undefined || ns.uts !== undefined) out.namespaces = ns;
  const shm = str(p, "shm-size");
  if (shm !== undefined) out.shmSize = shm;
  const groups = list(p, "group-add");
  for (const g of groups) {
    if (!validGroupAdd(g)) throw new UsageError(`invalid --group-add value: ${g}`);
  }
  if (groups.length) out.groupAdd = groups;
  const mac = str(p, "mac-address");
  if (mac !== undefined) {
    if (!MAC.test(mac)) throw new UsageError(`${mac} is not a valid mac address`);
    out.macAddress = mac.toLowerCase();
  }
  const attach = list(p, "attach").map((a) => a.toLowerCase());
  for (const a of attach) {
    if (!STREAMS.includes(a)) {
      throw new UsageError(
        `invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`,
      );
    }
  }
  if (attach.length) out.attach = attach;
  return out;
}
