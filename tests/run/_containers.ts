/**
 * Test helpers for containers started in the background.
 * @module
 */

import { cgroupsOf, removeCgroups } from "../helpers/cgroup_leaks.ts";

/** Poll `root` until container `name` (or the only container) records a running pid. */
export async function waitRunning(
  root: string,
  name?: string,
  timeoutMs = 15_000,
): Promise<{ id: string; pid: number }> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const id of readDirNames(`${root}/containers`)) {
      try {
        const cfg = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/container.json`));
        const st = JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`));
        if ((name === undefined || cfg.name === name) && st.status === "running" && st.pid > 0) {
          return { id, pid: st.pid };
        }
      } catch (err) {
        // not fully written yet (or mid-rename): poll again
        if (!(err instanceof Deno.errors.NotFound) && !(err instanceof SyntaxError)) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`container ${name ?? ""} did not start`);
}

/** Names in a dir, [] when missing. */
export function readDirNames(p: string): string[] {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** True when `p` exists (lstat). */
export function pathExists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** True when `pid` is alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Last-resort cleanup for a test whose `tsbox rm -f` failed: kill the
 * container and remove its cgroup dirs, so a failing test leaks nothing.
 */
export async function forceCleanup(id: string, pid: number): Promise<void> {
  if (pid > 0 && isAlive(pid)) Deno.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && pid > 0 && isAlive(pid); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!id) return;
  removeCgroups(cgroupsOf(id)); // v1 hierarchies, hybrid's unified or pure v2, any depth
}
