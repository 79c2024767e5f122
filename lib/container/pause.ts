/**
 * Hold a running container still while its files are read (`commit`):
 * SIGSTOP every process of its PID namespace (again until no new ones
 * appear), run the work, SIGCONT them — in `finally`, so a failure never
 * leaves the container stopped. tsbox has no freezer cgroup, so this is a
 * best effort against processes forking during the stop. Needs root.
 * @module
 */

import type { ContainerRecord } from "./store.ts";
import { liveView } from "./live.ts";
import { pidsInNamespaceOf } from "./top.ts";

/** Run `fn` with the processes of `rec` stopped. */
export async function withContainerPaused<T>(
  rec: ContainerRecord,
  fn: () => Promise<T>,
): Promise<T> {
  const v = liveView(rec);
  if (!v.running) return await fn();
  const stopped = new Set<number>();
  try {
    for (let round = 0; round < 5; round++) {
      const fresh = [...pidsInNamespaceOf(v.pid)].filter((p) => !stopped.has(p));
      if (!fresh.length) break;
      for (const pid of fresh) if (signal(pid, "SIGSTOP")) stopped.add(pid);
    }
    return await fn();
  } finally {
    for (const pid of stopped) signal(pid, "SIGCONT");
  }
}

function signal(pid: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(pid, sig);
    return true;
  } catch (err) {
    // exited since it was listed
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
