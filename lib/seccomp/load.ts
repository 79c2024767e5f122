/**
 * Build a `linux.seccomp` filter with libseccomp and install it on the
 * calling thread.
 *
 * Two steps, so the init can do the costly one early: `compileSeccomp`
 * (validate, build with libseccomp, export the BPF program — do it before
 * pivot_root, while the host's libseccomp.so.2 can still be opened) and
 * `installSeccomp` (one seccomp(2) call, the last step before execve).
 * `loadSeccomp` does both.
 *
 * The filter covers only the calling thread (no TSYNC): call it on the
 * init's main thread; Deno's other threads stay unfiltered and end at execve.
 *
 * Privilege: tsbox never sets no_new_privs implicitly (libseccomp's
 * SCMP_FLTATR_CTL_NNP behaviour is off; tsbox sets it itself when the spec
 * asks), so the kernel accepts the filter only if, at that moment, the
 * thread has no_new_privs set or holds CAP_SYS_ADMIN in its user namespace —
 * otherwise installing fails with EACCES. Install before dropping
 * CAP_SYS_ADMIN from the effective set, or after prctl(PR_SET_NO_NEW_PRIVS).
 * @module
 */

import type { LinuxSeccomp } from "../oci/spec.ts";
import { SyscallError, TsboxError } from "../errors.ts";
import { SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW } from "../../ffi/consts.ts";
import { SCMP_FLTATR_CTL_OPTIMIZE } from "../../ffi/seccomp.ts";
import { resolveArch, resolveSyscall, SeccompFilter } from "../../ffi/seccomp_filter.ts";
import { installSeccompProgram, type SeccompProgram } from "../../ffi/seccomp_program.ts";
import { planSeccomp, type SeccompPlan } from "./plan.ts";
import { validateSeccomp } from "./validate.ts";

export type { SeccompProgram };

const EACCES = 13;

/** A compiled filter plus what compiling it skipped. */
export interface CompiledSeccomp extends SeccompProgram {
  /** Syscall names libseccomp does not know (skipped, as runc does). */
  skipped: string[];
}

/**
 * Validate `s` and compile it to a BPF program with libseccomp. Loads nothing.
 * Needs `--allow-ffi`, libseccomp2 reachable by dlopen (the host's — so call it
 * before pivot_root) and /proc (the program is read back through a memfd).
 * @throws UsageError for an invalid spec; SyscallError/TsboxError from libseccomp.
 */
export function compileSeccomp(s: LinuxSeccomp): CompiledSeccomp {
  validateSeccomp(s);
  const plan = planSeccomp(s);
  const filter = SeccompFilter.create(plan.defaultAction);
  try {
    const skipped = build(filter, plan);
    const flags = (plan.log ? SECCOMP_FILTER_FLAG_LOG : 0) |
      (plan.specAllow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
    return { bpf: filter.exportBpf(), flags, skipped };
  } finally {
    filter.release();
  }
}

/**
 * Install a compiled filter on the calling thread (see the module doc for
 * the privilege it needs). Irreversible.
 * @throws SyscallError EACCES without no_new_privs or CAP_SYS_ADMIN; EINVAL for a bad flag.
 */
export function installSeccomp(p: SeccompProgram): void {
  try {
    installSeccompProgram(p);
  } catch (err) {
    if (!(err instanceof SyscallError) || err.errno !== EACCES) throw err;
    throw new TsboxError("seccomp: loading the filter: permission denied (EACCES)", {
      op: "seccomp",
      hint: "set no_new_privs first, or load the filter while CAP_SYS_ADMIN is still held",
      cause: err,
    });
  }
}

/**
 * Validate, compile and install `s` on the calling thread.
 * @throws as `compileSeccomp` and `installSeccomp`.
 */
export function loadSeccomp(s: LinuxSeccomp): void {
  installSeccomp(compileSeccomp(s));
}

/**
 * Compile `s` now (before pivot_root/setns, while the host's libseccomp can
 * be opened) and return a function of `loadSeccomp`'s shape that installs
 * the precompiled program later, on the calling thread. It refuses a spec
 * other than `s` (compared by identity).
 * @throws as `compileSeccomp` (now) and `installSeccomp` (later).
 */
export function precompiledSeccompLoader(s: LinuxSeccomp): (later: LinuxSeccomp) => void {
  const compiled = compileSeccomp(s);
  return (later) => {
    if (later !== s) {
      throw new TsboxError("seccomp: the precompiled filter was built for another spec");
    }
    installSeccomp(compiled);
  };
}

function build(filter: SeccompFilter, plan: SeccompPlan): string[] {
  for (const name of plan.arches) {
    const token = resolveArch(name);
    if (token === 0) {
      throw new TsboxError(`seccomp: libseccomp does not know architecture ${name}`, {
        op: "seccomp_arch_add",
      });
    }
    filter.addArch(token, name);
  }
  const numbers = new Map<string, number | null>();
  const skipped: string[] = [];
  let added = 0;
  for (const rule of plan.rules) {
    let nr = numbers.get(rule.name);
    if (nr === undefined) {
      nr = resolveSyscall(rule.name);
      numbers.set(rule.name, nr);
      if (nr === null) skipped.push(rule.name);
    }
    if (nr === null) continue;
    filter.addRule(rule.action, nr, rule.args, rule.name);
    added++;
  }
  // read at BPF generation; never with zero rules (see SeccompPlan.binaryTree)
  if (plan.binaryTree && added > 0) {
    filter.setAttr(SCMP_FLTATR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE");
  }
  return skipped;
}
