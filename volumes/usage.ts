/**
 * Which containers use a volume: read from every container's container.json
 * (`mounts` holds PreparedMount records), running or stopped, as docker's
 * "volume is in use" counts both. Read-only.
 * @module
 */

import type { Paths } from "../lib/paths.ts";
import { listContainers } from "../lib/container/store.ts";
import { isPreparedMount } from "./types.ts";

/** Volume name → ids of the containers that mount it (`except` left out). */
export function volumeUsers(paths: Paths, except?: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const c of listContainers(paths)) {
    if (c.config.id === except) continue;
    for (const m of Array.isArray(c.config.mounts) ? c.config.mounts : []) {
      if (!isPreparedMount(m) || !m.volume) continue;
      const ids = users.get(m.volume.name) ?? [];
      if (!ids.includes(c.config.id)) ids.push(c.config.id);
      users.set(m.volume.name, ids);
    }
  }
  return users;
}

/** Ids of the containers that mount volume `name` (`except` left out). */
export function containersUsing(paths: Paths, name: string, except?: string): string[] {
  return volumeUsers(paths, except).get(name) ?? [];
}
