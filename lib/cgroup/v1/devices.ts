/**
 * cgroup v1 devices controller: a rule list → writes to devices.deny and
 * devices.allow. The emulated end state (see `../device_rules.ts`) is
 * written, not the raw list: first the reset ("a" into devices.deny for an
 * allow list, into devices.allow for a deny list), then one line per
 * exception into the other file. A fresh child of the root starts as
 * "a *:* rwm", so the reset is what puts it into allow-list mode.
 * @module
 */

import { join } from "../../posix_path.ts";
import type { LinuxDeviceCgroup } from "../../oci/spec.ts";
import type { CgroupWrite } from "../types.ts";
import { exceptionString, normalizeDeviceRules } from "../device_rules.ts";

/**
 * Writes for the devices hierarchy directory `dir`; none when `rules` is
 * undefined (the cgroup keeps the parent's access).
 * @throws {CgroupError} a rule is malformed (see `normalizeDeviceRules`).
 */
export function planDevicesV1(
  rules: readonly LinuxDeviceCgroup[] | undefined,
  dir: string,
): CgroupWrite[] {
  if (rules === undefined) return [];
  const set = normalizeDeviceRules(rules);
  const reset = join(dir, set.defaultAllow ? "devices.allow" : "devices.deny");
  const except = join(dir, set.defaultAllow ? "devices.deny" : "devices.allow");
  return [
    { path: reset, value: "a" },
    ...set.exceptions.map((e) => ({ path: except, value: exceptionString(e) })),
  ];
}
