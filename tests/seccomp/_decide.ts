/**
 * Test helper: what a converted `linux.seccomp` decides for one system call,
 * read the way libseccomp builds the filter (lib/seccomp/plan.ts feeds it the
 * rules in order): the first unconditional rule of a name wins over every
 * other rule of that name; otherwise the first rule whose comparisons all
 * hold (a rule comparing one argument twice is split into one rule per
 * comparison, so any of them may hold); otherwise the default action.
 * Decisions are spelled `ALLOW`, `ERRNO(1)`, `KILL_PROCESS`….
 * @module
 */

import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from "../../lib/oci/spec.ts";

const MASK64 = (1n << 64n) - 1n;

/** `SCMP_ACT_ERRNO` + 38 → `ERRNO(38)`; errno defaults to EPERM, as runc. */
export function actionName(action: string, errnoRet?: number): string {
  const short = action.replace(/^SCMP_ACT_/, "");
  return short === "ERRNO" || short === "TRACE" ? `${short}(${errnoRet ?? 1})` : short;
}

function rulesFor(s: LinuxSeccomp, name: string): LinuxSyscall[] {
  return (s.syscalls ?? []).filter((c) => c.names.includes(name));
}

function holds(a: LinuxSeccompArg, args: readonly (number | bigint)[]): boolean {
  const v = BigInt(args[a.index] ?? 0) & MASK64;
  const x = BigInt(a.value);
  switch (a.op) {
    case "SCMP_CMP_NE":
      return v !== x;
    case "SCMP_CMP_LT":
      return v < x;
    case "SCMP_CMP_LE":
      return v <= x;
    case "SCMP_CMP_EQ":
      return v === x;
    case "SCMP_CMP_GE":
      return v >= x;
    case "SCMP_CMP_GT":
      return v > x;
    case "SCMP_CMP_MASKED_EQ":
      return (v & x) === BigInt(a.valueTwo ?? 0);
  }
  throw new Error(`_decide: unknown operator ${a.op}`);
}

function matches(rule: LinuxSyscall, args: readonly (number | bigint)[]): boolean {
  const cmps = rule.args ?? [];
  const split = new Set(cmps.map((c) => c.index)).size !== cmps.length;
  return split ? cmps.some((c) => holds(c, args)) : cmps.every((c) => holds(c, args));
}

/** The decision of `s` for `name(args...)` (missing arguments are 0). */
export function decide(
  s: LinuxSeccomp,
  name: string,
  args: readonly (number | bigint)[] = [],
): string {
  const rules = rulesFor(s, name);
  const hit = rules.find((r) => (r.args ?? []).length === 0) ??
    rules.find((r) => matches(r, args));
  return hit
    ? actionName(hit.action, hit.errnoRet)
    : actionName(s.defaultAction, s.defaultErrnoRet);
}

function argText(a: LinuxSeccompArg): string {
  const n = `a${a.index}`;
  const hex = (v: number) => `0x${v.toString(16)}`;
  switch (a.op) {
    case "SCMP_CMP_MASKED_EQ":
      return `${n}&${hex(a.value)}==${a.valueTwo ?? 0}`;
    case "SCMP_CMP_EQ":
      return `${n}==${a.value}`;
    case "SCMP_CMP_NE":
      return `${n}!=${a.value}`;
    case "SCMP_CMP_LT":
      return `${n}<${a.value}`;
    case "SCMP_CMP_LE":
      return `${n}<=${a.value}`;
    case "SCMP_CMP_GT":
      return `${n}>${a.value}`;
    case "SCMP_CMP_GE":
      return `${n}>=${a.value}`;
  }
  throw new Error(`_decide: unknown operator ${a.op}`);
}

/**
 * The whole decision of `s` for `name`, as one line: `ALLOW`, `ERRNO(1)`, or
 * for argument rules `ALLOW if a0<38 | ALLOW if a0==39, else ERRNO(1)`.
 */
export function effectiveDecision(s: LinuxSeccomp, name: string): string {
  const rules = rulesFor(s, name);
  const fallback = actionName(s.defaultAction, s.defaultErrnoRet);
  const plain = rules.find((r) => (r.args ?? []).length === 0);
  if (plain) return actionName(plain.action, plain.errnoRet);
  if (rules.length === 0) return fallback;
  const parts = rules.map((r) =>
    `${actionName(r.action, r.errnoRet)} if ${(r.args ?? []).map(argText).join(" && ")}`
  );
  return `${parts.join(" | ")}, else ${fallback}`;
}

/** Every syscall name `s` has a rule for. */
export function ruledNames(s: LinuxSeccomp): string[] {
  return [...new Set((s.syscalls ?? []).flatMap((c) => c.names))];
}
