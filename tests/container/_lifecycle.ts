/**
 * Helpers for the lifecycle tests: a seeded root, the CLI, and leak checks
 * that look only at this test's containers (other suites run concurrently).
 * @module
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { type RunResult, tsbox, withRoot } from "../helpers/tsbox.ts";
import { seedBusybox } from "../helpers/image_fixture.ts";
import { isSameProcess } from "../../lib/container/proc.ts";
import { cgroupsOf } from "../helpers/cgroup_leaks.ts";

export { assert, assertEquals, cgroupsOf };

/** Run the CLI; throws with its output when the exit code is not `code`. */
export async function ok(root: string, args: string[], code = 0): Promise<RunResult> {
  const r = await tsbox(root, args);
  if (r.code !== code) {
    throw new Error(
      `tsbox ${
        args.join(" ")
      }: exit ${r.code} (want ${code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return r;
}

/** State of a container as stored (pids to check for leaks). */
export function stateOf(root: string, id: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(`${root}/containers/${id}/state.json`));
}

/** Poll `fn` until true (or fail after `ms`). */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Live (non-zombie) processes whose command line mentions `root` (monitors, inits). */
export function processesUsing(root: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (cmd.includes(root) && isSameProcess(Number(e.name), undefined)) {
        out.push(`${e.name}: ${cmd}`);
      }
    } catch (err) {
      // exited while listed, or a protected host process
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied)) {
        if (!String(err).includes("os error 3")) throw err;
      }
    }
  }
  return out;
}

/** Assert nothing of these containers is left: processes, cgroups, dirs. */
export function assertNoLeaks(root: string, ids: string[], pids: number[] = []): void {
  for (const id of ids) assertEquals(cgroupsOf(id), [], `cgroups of ${id}`);
  for (const pid of pids) assert(!isSameProcess(pid, undefined), `process ${pid} still alive`);
  assertEquals(processesUsing(root), [], "processes of the test root");
}

/**
 * A fresh root with busybox; afterwards every container in it is removed
 * with `rm -f` (even when the test failed) before the root is deleted.
 */
export function withSeededRoot(fn: (root: string) => Promise<void>): Promise<void> {
  return withRoot(async (root) => {
    try {
      await seedBusybox(root);
      await fn(root);
    } finally {
      const ids = await tsbox(root, ["ps", "-aq", "--no-trunc"]);
      const left = ids.stdout.split("\n").filter(Boolean);
      if (left.length) await tsbox(root, ["rm", "-f", ...left]);
    }
  });
}

/** Container ids in the root ([] before the first create). */
export function containerIds(root: string): string[] {
  try {
    return [...Deno.readDirSync(`${root}/containers`)].map((e) => e.name)
      .filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** `"run -d busybox"` → `["run", "-d", "busybox"]`, plus verbatim trailing args. */
export function cli(words: string, ...rest: string[]): string[] {
  return [...words.split(" ").filter(Boolean), ...rest];
}
