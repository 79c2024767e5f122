/**
 * docker ≥ 23 reads `-v ./dir:/x` and `-v ../dir:/x` as bind mounts of
 * paths relative to the current directory (a name starting with "." can
 * never be a volume name).
 * @module
 */

import { resolve } from "../posix_path.ts";

/** `-v` value with a relative (`.`-leading) source made absolute against `cwd`. */
export function absoluteBindSource(spec: string, cwd: string): string {
  if (!spec.startsWith(".")) return spec;
  const colon = spec.indexOf(":");
  if (colon < 0) return spec; // `-v ./x` alone: a container path, refused later as relative
  return resolve(cwd, spec.slice(0, colon)) + spec.slice(colon);
}
