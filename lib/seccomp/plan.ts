/**
 * `linux.seccomp` → the list of libseccomp calls that build its filter, as
 * runc's `InitSeccomp`/`matchCall` make them. Pure: no library is opened.
 * @module
 */

import type { LinuxSeccomp, LinuxSeccompArg } from "../oci/spec.ts";
import {
  SCMP_ACT_ALLOW,
  SCMP_ACT_ERRNO,
  SCMP_ACT_KILL_PROCESS,
  SCMP_ACT_KILL_THREAD,
  SCMP_ACT_LOG,
  SCMP_ACT_TRACE,
  SCMP_ACT_TRAP,
  SCMP_CMP_EQ,
  SCMP_CMP_GE,
  SCMP_CMP_GT,
  SCMP_CMP_LE,
  SCMP_CMP_LT,
  SCMP_CMP_MASKED_EQ,
  SCMP_CMP_NE,
} from "../../ffi/seccomp.ts";
import type { ScmpArgCmp } from "../../ffi/seccomp_filter.ts";
import { TsboxError } from "../errors.ts";
import { SECCOMP_ARCHES, SECCOMP_FLAG_LOG, SECCOMP_FLAG_SPEC_ALLOW } from "./names.ts";

/** EPERM, the errno of SCMP_ACT_ERRNO / SCMP_ACT_TRACE without errnoRet (as runc). */
const EPERM = 1;

/** Above this many rules ask libseccomp for a binary-tree filter (runc's threshold). */
const OPTIMIZE_ABOVE = 32;

/** One seccomp_rule_add_array call. */
export interface SeccompRulePlan {
  /** Syscall name, resolved to a number at load (unknown names are skipped). */
  name: string;
  /** libseccomp action value. */
  action: number;
  args: ScmpArgCmp[];
}

/** Everything `loadSeccomp` will ask libseccomp to do, in order. */
export interface SeccompPlan {
  /** libseccomp default action value. */
  defaultAction: number;
  /** libseccomp architecture names to add besides the native one ("x86", "x32"). */
  arches: string[];
  /** SECCOMP_FILTER_FLAG_LOG. */
  log: boolean;
  /** SECCOMP_FILTER_FLAG_SPEC_ALLOW. */
  specAllow: boolean;
  /**
   * Ask for libseccomp's binary-tree layout (long rule lists). Never with zero
   * rules: libseccomp <= 2.5.4 misbehaves then (noted by runc).
   */
  binaryTree: boolean;
  rules: SeccompRulePlan[];
}

const OPS: Record<string, number> = {
  SCMP_CMP_NE: SCMP_CMP_NE,
  SCMP_CMP_LT: SCMP_CMP_LT,
  SCMP_CMP_LE: SCMP_CMP_LE,
  SCMP_CMP_EQ: SCMP_CMP_EQ,
  SCMP_CMP_GE: SCMP_CMP_GE,
  SCMP_CMP_GT: SCMP_CMP_GT,
  SCMP_CMP_MASKED_EQ: SCMP_CMP_MASKED_EQ,
};

/**
 * libseccomp's value for an action name. SCMP_ACT_KILL is KILL_THREAD (as
 * libseccomp and runc); errno defaults to EPERM.
 * @throws TsboxError for an action the validator lets through but tsbox cannot apply.
 */
export function scmpAction(action: string, errnoRet?: number): number {
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SCMP_ACT_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SCMP_ACT_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SCMP_ACT_TRAP;
    case "SCMP_ACT_ERRNO":
      return SCMP_ACT_ERRNO(errnoRet ?? EPERM);
    case "SCMP_ACT_TRACE":
      return SCMP_ACT_TRACE(errnoRet ?? EPERM);
    case "SCMP_ACT_ALLOW":
      return SCMP_ACT_ALLOW;
    case "SCMP_ACT_LOG":
      return SCMP_ACT_LOG;
  }
  throw new TsboxError(`seccomp: action ${action} is not supported`);
}

/**
 * Plan the filter of a validated `linux.seccomp` (call `validateSeccomp`
 * first). A rule whose action equals the default is dropped (libseccomp
 * refuses it with EACCES); a rule comparing one argument twice becomes one
 * rule per comparison, as runc does (libseccomp refuses two comparisons of
 * the same argument in one rule).
 */
export function planSeccomp(s: LinuxSeccomp): SeccompPlan {
  const defaultAction = scmpAction(s.defaultAction, s.defaultErrnoRet);
  const arches: string[] = [];
  for (const a of s.architectures ?? []) {
    const name = SECCOMP_ARCHES[a];
    if (name && !arches.includes(name)) arches.push(name);
  }
  const flags = s.flags ?? [];
  const syscalls = s.syscalls ?? [];
  const rules: SeccompRulePlan[] = [];
  for (const call of syscalls) {
    const action = scmpAction(call.action, call.errnoRet);
    if (action === defaultAction) continue;
    const groups = argGroups(call.args ?? []);
    for (const name of call.names) {
      for (const args of groups) rules.push({ name, action, args });
    }
  }
  return {
    defaultAction,
    arches,
    log: flags.includes(SECCOMP_FLAG_LOG),
    specAllow: flags.includes(SECCOMP_FLAG_SPEC_ALLOW),
    binaryTree: rules.length > OPTIMIZE_ABOVE,
    rules,
  };
}

/** The comparison lists of a rule: one list, or one per comparison when an index repeats. */
function argGroups(args: readonly LinuxSeccompArg[]): ScmpArgCmp[][] {
  const cmps = args.map((a): ScmpArgCmp => ({
    arg: a.index,
    op: OPS[a.op],
    a: BigInt(a.value),
    b: BigInt(a.valueTwo ?? 0),
  }));
  const indexes = new Set(cmps.map((c) => c.arg));
  if (indexes.size === cmps.length) return [cmps];
  return cmps.map((c) => [c]);
}
