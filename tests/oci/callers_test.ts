/**
 * Integration: containerd (ctr), dockerd and podman drive an OCI runtime
 * through the issue-11 scenarios (./_scenarios.ts), with the logging wrapper
 * in front so the runtime calls are checked too, and nothing is left after.
 * Runs against runc (proving the harness) and ./tsbox-runc (skipped while it
 * does not exist); TSBOX_OCI_RUNTIME=PATH runs one runtime only. Root only.
 */

import { basename, join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { hasCommand } from "../helpers/tsbox.ts";
import {
  type CallerEnv,
  removeBusyboxFixtures,
  startContainerd,
  startDockerd,
  startPodman,
} from "./_daemons.ts";
import { mountsUnder, processesMatching } from "./_cleanup.ts";
import { readCalls, verbOf } from "./_runtime_log.ts";
import { stepsFor } from "./_scenarios.ts";
import { REPO_ROOT } from "./_suite.ts";

interface Variant {
  label: string;
  path: string;
  /** Why the variant is skipped, if it is. */
  skip?: string;
}

function exists(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function variants(): Variant[] {
  const chosen = Deno.env.get("TSBOX_OCI_RUNTIME");
  if (chosen) {
    return [{
      label: basename(chosen),
      path: chosen,
      skip: exists(chosen) ? undefined : `${chosen} does not exist`,
    }];
  }
  const tsbox = join(REPO_ROOT, "tsbox-runc");
  return [
    { label: "runc", path: "/usr/sbin/runc", skip: hasCommand("runc") ? undefined : "no runc" },
    {
      label: "tsbox-runc",
      path: tsbox,
      skip: exists(tsbox) ? undefined : "./tsbox-runc not built yet (issue 11)",
    },
  ];
}

const CALLERS: { kind: CallerEnv["kind"]; tool: string; start: typeof startContainerd }[] = [
  { kind: "containerd", tool: "containerd", start: startContainerd },
  { kind: "dockerd", tool: "dockerd", start: startDockerd },
  { kind: "podman", tool: "podman", start: startPodman },
];

/** What every runtime call of a session must satisfy, whatever the caller. */
function checkCalls(env: CallerEnv): void {
  const calls = readCalls(env.log);
  assert(calls.length > 0, "the caller made no runtime call");
  for (const c of calls) {
    const verb = verbOf(c);
    const what = `call ${c.n} (${c.argv.join(" ")})`;
    if (verb === "create" && c.exit === 0) {
      assert(/^\d+$/.test(c.pidFile ?? ""), `${what}: pid file holds no pid: "${c.pidFile}"`);
    }
    if (verb === "ps") {
      const pids = JSON.parse(c.stdout ?? "null");
      assert(
        Array.isArray(pids) && pids.length > 0 && pids.every(Number.isInteger),
        `${what}: ps --format json printed ${c.stdout}`,
      );
    }
    if (verb === "state" && c.exit === 0) {
      const st = JSON.parse(c.stdout ?? "null");
      assert(st && typeof st.status === "string" && st.id, `${what}: state printed ${c.stdout}`);
    }
    // the only failing call the scenarios provoke is the create of a missing command
    const allowed = verb === "create" && c.config?.includes("/nonexistent");
    if (c.exit !== undefined && c.exit !== 0 && !allowed) {
      throw new Error(`${what}: exit ${c.exit}`);
    }
  }
}

/**
 * Every container the caller created, as (state root or undefined for the
 * runtime's default, id), from the logged `create` calls.
 */
function createdContainers(env: CallerEnv): { root?: string; id: string }[] {
  return readCalls(env.log).filter((c) => verbOf(c) === "create").map((c) => {
    const i = c.argv.indexOf("--root");
    const eq = c.argv.find((a) => a.startsWith("--root="));
    return {
      root: i >= 0 ? c.argv[i + 1] : eq?.slice("--root=".length),
      id: c.argv[c.argv.length - 1],
    };
  });
}

/** Ask the runtime itself whether it still knows a container (it must not, after stop). */
function stillKnown(runtime: string, root: string | undefined, id: string): boolean {
  // a removed state root knows nothing (and runc would re-create it when asked)
  if (root) {
    try {
      Deno.statSync(root);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }
  const r = new Deno.Command(runtime, {
    args: [...(root ? ["--root", root] : []), "state", id],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return r.success;
}

/** Nothing of `env` remains: mounts, processes, its dir, containers known to the runtime. */
function assertNothingLeft(
  env: CallerEnv,
  runtime: string,
  created: { root?: string; id: string }[],
): void {
  assertEquals(mountsUnder(env.dir), []);
  assertEquals(processesMatching(env.dir), []);
  let gone = false;
  try {
    Deno.lstatSync(env.dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    gone = true;
  }
  assert(gone, `${env.dir} not removed`);
  const known = created.filter((c) => stillKnown(runtime, c.root, c.id));
  assertEquals(known, [], "containers the runtime still knows after stop");
}

for (const v of variants()) {
  for (const caller of CALLERS) {
    const skip = v.skip ?? (hasCommand(caller.tool) ? undefined : `no ${caller.tool}`);
    Deno.test({
      name: `${caller.kind} with ${v.label}: the issue-11 scenarios work and leave nothing` +
        (skip ? ` (skipped: ${skip})` : ""),
      ignore: skip !== undefined || Deno.uid() !== 0,
      fn: async (t) => {
        const env = await caller.start({ runtime: v.path });
        let stopped = false;
        try {
          for (const step of stepsFor(caller.kind)) {
            const ok = await t.step(step.name, () => step.run(env));
            if (!ok) break;
          }
          await t.step("runtime calls: pid files written, ps/state parse, no other failure", () => {
            checkCalls(env);
          });
          const created = createdContainers(env);
          stopped = true;
          const left = await env.stop();
          // orderly shutdown: the caller itself removed its containers and shims
          assertEquals(left.processes, 0, "processes left after the caller's own cleanup");
          assertEquals(left.mounts, [], "mounts left after the caller's own cleanup");
          assertNothingLeft(env, v.path, created);
        } finally {
          // after a failure: still remove everything (the failure is what gets reported)
          if (!stopped) await env.stop();
        }
      },
    });
  }
}

Deno.test({
  name: "callers fixtures: the busybox image files are removed",
  fn: () => removeBusyboxFixtures(),
});
