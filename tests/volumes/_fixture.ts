/**
 * Fixtures for the volume tests: a temp state root, fake container records
 * (container.json holding PreparedMounts, as the run path will write them),
 * and a mountinfo leak check.
 * @module
 */

import { type Paths, pathsFor } from "../../lib/paths.ts";
import { type ContainerConfig, writeConfig, writeState } from "../../lib/container/store.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import { removeTree } from "../helpers/tsbox.ts";

/** Run `fn` with a fresh temp state root; removed afterwards (refused if anything is mounted there). */
export async function withPaths<T>(fn: (paths: Paths, root: string) => T | Promise<T>): Promise<T> {
  const root = Deno.makeTempDirSync({ prefix: "tsbox-voltest-" });
  try {
    return await fn(pathsFor(root), root);
  } finally {
    await removeTree(root);
  }
}

/** A container id made of one repeated hex digit. */
export function fakeId(digit: string): string {
  return digit.repeat(64);
}

/** Write a minimal container record whose config mounts `mounts`. */
export function writeFakeContainer(
  paths: Paths,
  id: string,
  mounts: PreparedMount[],
  status: "running" | "exited" = "exited",
): void {
  const config = {
    id,
    name: `c-${id.slice(0, 6)}`,
    created: new Date().toISOString(),
    mounts,
  } as unknown as ContainerConfig;
  writeConfig(paths, config);
  writeState(paths, id, { status, pid: 0 });
}

/** Mount points at or below `path` in this process's mount namespace. */
export function mountsBelow(path: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").map((l) => l.split(" ")[4])
    .filter((p) => p && (p === path || p.startsWith(path + "/")));
}

/** True when `path` exists (lstat). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
