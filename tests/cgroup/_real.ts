/**
 * Helpers for the real-kernel cgroup tests: unique cgroup names, a child
 * held at a gate until it has been moved into a cgroup, killing whatever is
 * left in a cgroup, and finding leftover directories in any hierarchy.
 * @module
 */

import { join } from "node:path";
import type { ContainerCgroup } from "../../lib/cgroup/mod.ts";
import { tsboxCgroups } from "../helpers/cgroup_leaks.ts";

/** Where the host mounts cgroup filesystems. */
export const CGROUP_ROOT = "/sys/fs/cgroup";
/** busybox from busybox-static. */
export const BUSYBOX = "/bin/busybox";

/** True when running as root (the real tests need it). */
export const IS_ROOT = Deno.uid() === 0;

/** A fresh `tsbox-<64 hex>` name, like the lead passes for a container. */
export function testName(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return "tsbox-" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Directories named `name` in any cgroup hierarchy, at any depth (v1, hybrid or pure v2). */
export function leftovers(name: string): string[] {
  return tsboxCgroups((n) => n === name);
}

/** A busybox shell that runs `script` only after `release()`. */
export interface Gated {
  child: Deno.ChildProcess;
  /** Let the script run (it was blocked on `read`). */
  release(): Promise<void>;
  /** SIGKILL the shell itself (no-op when it already exited) and close its stdin. */
  kill(): Promise<void>;
  /** Collected output once it exits. */
  output: Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
}

/** Spawn `busybox sh -c 'read x; <script>'` with piped stdio. */
export function gated(script: string): Gated {
  const child = new Deno.Command(BUSYBOX, {
    args: ["sh", "-c", `read x; ${script}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = new TextDecoder();
  let released = false;
  return {
    child,
    async release() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      released = true;
    },
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // already exited
      }
      if (released) return;
      released = true;
      try {
        await child.stdin.close();
      } catch (err) {
        // the shell is dead: its end of the pipe may already be gone
        if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
      }
    },
    output: child.output().then((o) => ({
      code: o.code,
      signal: o.signal,
      stdout: dec.decode(o.stdout),
      stderr: dec.decode(o.stderr),
    })),
  };
}

/** Pids listed in the cgroup.procs of every directory of `cg` (none once destroyed). */
export function procsOf(cg: ContainerCgroup): number[] {
  const out = new Set<number>();
  for (const d of cg.paths) {
    let text: string;
    try {
      text = Deno.readTextFileSync(join(d, "cgroup.procs"));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // already destroyed
      throw err;
    }
    for (const l of text.split("\n")) if (l) out.add(Number(l));
  }
  return [...out];
}

/** SIGKILL everything in `cg` until it is empty (at most ~5 s). */
export async function killAll(cg: ContainerCgroup): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pids = procsOf(cg);
    if (pids.length === 0) return;
    for (const p of pids) {
      try {
        Deno.kill(p, "SIGKILL");
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err; // exited meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`processes left in ${cg.paths[0]}: ${procsOf(cg).join(" ")}`);
}
