/**
 * `--shm-size`: the size of the container's /dev/shm tmpfs, docker's
 * units (`64m`, `1g`, bytes), more than 0.
 * @module
 */

import { parseBytes } from "../cgroup/units.ts";
import { UsageError } from "../errors.ts";

/**
 * Bytes of `raw`, or undefined when not given (docker's 64 MiB then).
 * @throws {UsageError} not a size, or not above 0.
 */
export function parseShmSize(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = parseBytes("shm-size", raw);
  if (n <= 0) throw new UsageError(`invalid --shm-size ${raw}: SHM size must be greater than 0`);
  return n;
}
