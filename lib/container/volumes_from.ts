/**
 * `--volumes-from CONTAINER[:ro|rw]`: the other container's bind mounts and
 * volumes (named and anonymous, by name) at the same paths, read-only or
 * read-write as there unless `:ro`/`:rw` says otherwise; the container's
 * own `-v`/`--mount`/`--tmpfs` win on the same target, as in docker.
 * Pure apart from reading the other container's record.
 * @module
 */

import type { Paths } from "../paths.ts";
import { TsboxError, UsageError } from "../errors.ts";
import { isPreparedMount } from "../../volumes/types.ts";
import { findContainer } from "./lookup.ts";

/**
 * The `-v` values `--volumes-from` adds, skipping targets in `ownTargets`.
 * @throws {UsageError} a bad mode; {TsboxError} no such container (run/create: 125).
 */
export function volumesFromFlags(
  paths: Paths,
  refs: string[],
  ownTargets: Set<string>,
): string[] {
  const out: string[] = [];
  const seen = new Set(ownTargets);
  for (const raw of refs) {
    const colon = raw.lastIndexOf(":");
    const mode = colon > 0 ? raw.slice(colon + 1) : "";
    const ref = colon > 0 ? raw.slice(0, colon) : raw;
    if (mode !== "" && mode !== "ro" && mode !== "rw") {
      throw new UsageError(`invalid mode for --volumes-from: ${raw} (use :ro or :rw)`);
    }
    let mounts: unknown[];
    try {
      mounts = findContainer(paths, ref).config.mounts;
    } catch (err) {
      // docker's create fails with the lookup's message, exit 125
      if (!(err instanceof TsboxError)) throw err;
      throw new TsboxError(err.message);
    }
    for (const m of mounts) {
      if (!isPreparedMount(m) || m.type === "tmpfs" || seen.has(m.target)) continue;
      const source = m.volume ? m.volume.name : m.source;
      const rw = mode === "" ? (m.readOnly ? "ro" : "rw") : mode;
      out.push(`${source}:${m.target}:${rw}`);
      seen.add(m.target);
    }
  }
  return out;
}
