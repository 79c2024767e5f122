/**
 * The one process-setup tail shared by the init and `exec` (crun's
 * `apply_security_settings`, runc's finalizeNamespace + standard init):
 * named steps, in this order, each error naming its step —
 *
 *   fd sweep → rlimits raised (a hard limit above ours needs
 *   CAP_SYS_RESOURCE, still held) → oom_score_adj → seccomp (when
 *   no_new_privs is off: loading it then needs CAP_SYS_ADMIN) → bounding
 *   set → keep-caps + setgroups/setgid/setuid → capset + ambient →
 *   parent-death signal again (a uid change clears it) → no_new_privs →
 *   seccomp (when on) → the exact rlimits → launch.
 *
 * The exact limits come last, just before the launch, and only lower what
 * the raise left (allowed unprivileged): a runtime that runs on after
 * them cannot grow — an RLIMIT_AS below the address space Deno's V8 has
 * reserved makes its next mmap fail, and the init died of "out of memory"
 * in a GC between the limits and execve. So the caller prepares its
 * launch first and calls the returned function right before it.
 *
 * Everything acts on the calling (main) thread, which then execs (init) or
 * posix_spawns (exec) — capabilities, no_new_privs and seccomp are
 * per-thread state.
 * @module
 */

import type { Kernel } from "../kernel.ts";
import type { SeccompProgram } from "../kernel.ts";
import type { ProcessSecurity } from "../security/types.ts";
import { capMask, capNumbers } from "../security/capabilities.ts";
import { rlimitNumber } from "../security/ulimits.ts";
import { TsboxError } from "../errors.ts";

/** Credentials the process runs with. */
export interface TailCredentials {
  uid: number;
  gid: number;
  groups: number[];
}

/** Inputs of the tail. */
export interface TailInput {
  creds: TailCredentials;
  security: ProcessSecurity;
  /** The compiled filter (compiled by the parent: libseccomp is never loaded in here). */
  seccomp?: SeccompProgram;
  /** fds below this stay open (3 + `--preserve-fds`); default 3. */
  keepFdsBelow?: number;
  /** Highest capability number of the running kernel. */
  capLastCap: number;
  /** Re-armed after the uid change (the init's SIGKILL-with-supervisor). */
  parentDeathSignal?: number;
}

function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TsboxError && err.message.startsWith(`${name}:`)) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new TsboxError(`${name}: ${why}`, { cause: err });
  }
}

/**
 * Apply credentials and security to the calling thread; the caller then
 * calls the returned function (the exact rlimits) and launches the command
 * (execve or posix_spawn) right away, both prepared before.
 * @throws {TsboxError} `<step>: <why>` for the first step that failed.
 */
export function finalizeProcess(kernel: Kernel, t: TailInput): () => void {
  const sec = t.security;
  const caps = sec.capabilities;
  step("close inherited fds", () => kernel.cloexecFrom(t.keepFdsBelow ?? 3)); // before setuid: /proc/self/fd needs it
  const limits = step("rlimits", () =>
    sec.rlimits.map((r) => {
      const n = rlimitNumber(r.type);
      if (n === undefined) throw new TsboxError(`unknown rlimit type ${r.type}`);
      if (r.soft > r.hard) throw new TsboxError(`${r.type}: soft limit above the hard limit`);
      // a hard limit above ours is raised now, while we may; nothing is lowered yet
      const cur = kernel.getRlimit(n);
      if (r.hard > cur.hard) kernel.setRlimit(n, cur.soft, r.hard);
      return { resource: n, soft: r.soft, hard: r.hard };
    }));
  if (sec.oomScoreAdj !== undefined) {
    step("oom_score_adj", () => kernel.writeFile("/proc/self/oom_score_adj", `${sec.oomScoreAdj}`));
  }
  if (t.seccomp && !sec.noNewPrivileges) step("seccomp", () => kernel.seccompInstall(t.seccomp!));
  step("capabilities bounding set", () => {
    const keep = new Set(capNumbers(caps.bounding));
    for (let c = 0; c <= t.capLastCap; c++) if (!keep.has(c)) kernel.capBoundingDrop(c);
  });
  step("set user", () => {
    kernel.setKeepCaps(true);
    kernel.setCredentials(t.creds.uid, t.creds.gid, t.creds.groups);
    kernel.setKeepCaps(false);
  });
  step("capabilities", () => {
    kernel.capSet({
      effective: capMask(caps.effective),
      permitted: capMask(caps.permitted),
      inheritable: capMask(caps.inheritable),
    });
    // the kernel raises only what is permitted and inheritable; runc warns and goes on, so do we
    const raisable = capMask(caps.permitted) & capMask(caps.inheritable);
    for (const c of capNumbers(caps.ambient)) {
      if ((raisable >> BigInt(c)) & 1n) kernel.capAmbientRaise(c);
    }
  });
  if (t.parentDeathSignal) {
    step("parent-death signal", () => kernel.setParentDeathSignal(t.parentDeathSignal!));
  }
  if (sec.noNewPrivileges) step("no_new_privs", () => kernel.setNoNewPrivs());
  if (t.seccomp && sec.noNewPrivileges) step("seccomp", () => kernel.seccompInstall(t.seccomp!));
  const exact = kernel.prepareRlimits(limits);
  // a failure here is reported as ever (the error path may allocate: it ends the process anyway)
  return () => step("rlimits", exact);
}
