/**
 * Device-cgroup rules (OCI `linux.resources.devices`) folded into the state
 * the cgroup v1 devices controller would end in: a default verdict plus a
 * list of exceptions. Both drivers use this one emulation, so a rule list
 * means the same on v1 (written to devices.deny/devices.allow) and on v2
 * (compiled to a BPF program). Pure.
 *
 * Semantics (the kernel's v1 controller, security/device_cgroup.c):
 * - a rule of type "a" resets: default = its verdict, no exceptions;
 * - a rule whose verdict differs from the default adds an exception
 *   (access bits merge into an exception with the same type/major/minor);
 * - a rule whose verdict equals the default removes those access bits
 *   from the exception with exactly the same type/major/minor.
 * Later rules therefore win. Removing access that a wider wildcard exception
 * still grants ("punching a hole") is silently ignored by v1; it is refused
 * here instead, as runc's emulator does, so nobody believes a rule applies
 * when it does not.
 * @module
 */

import { CgroupError } from "../errors.ts";
import type { LinuxDeviceCgroup } from "../oci/spec.ts";

/** Access bits, the values of BPF_DEVCG_ACC_* (linux/bpf.h). */
export const ACC_MKNOD = 1;
/** open for reading. */
export const ACC_READ = 2;
/** open for writing. */
export const ACC_WRITE = 4;
/** r, w and m together. */
export const ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;

/** Wildcard major or minor (`*`). */
export const WILDCARD = -1;

/** Largest major/minor accepted (they are compared as signed 32-bit immediates in BPF). */
const MAX_NUMBER = 0x7fffffff;

/** One exception of the emulated state. */
export interface DeviceException {
  /** Character or block device. */
  type: "c" | "b";
  /** Major number, or WILDCARD. */
  major: number;
  /** Minor number, or WILDCARD. */
  minor: number;
  /** ACC_* bits (never 0). */
  access: number;
}

/** What a rule list amounts to: a default verdict and the exceptions to it. */
export interface DeviceRuleSet {
  /** True: everything not excepted is allowed (deny list); false: allow list. */
  defaultAllow: boolean;
  /** Exceptions, in the order they were first added. */
  exceptions: DeviceException[];
}

/** `rwm` letters → ACC_* bits. @throws {CgroupError} empty or another letter. */
export function accessBits(access: string, what = access): number {
  if (access === "") throw invalid(what, "empty access (use a subset of rwm)");
  let bits = 0;
  for (const ch of access) {
    const bit = ch === "r" ? ACC_READ : ch === "w" ? ACC_WRITE : ch === "m" ? ACC_MKNOD : 0;
    if (bit === 0) throw invalid(what, `access "${access}" is not a subset of rwm`);
    bits |= bit;
  }
  return bits;
}

/** ACC_* bits → `rwm` letters in that order. */
export function accessString(bits: number): string {
  return (bits & ACC_READ ? "r" : "") + (bits & ACC_WRITE ? "w" : "") +
    (bits & ACC_MKNOD ? "m" : "");
}

/** The v1 control-file form of an exception: `c 1:3 rwm`, `b *:* m`. */
export function exceptionString(e: DeviceException): string {
  const n = (x: number) => (x === WILDCARD ? "*" : String(x));
  return `${e.type} ${n(e.major)}:${n(e.minor)} ${accessString(e.access)}`;
}

/** A readable form of an OCI rule, for messages. */
export function ruleString(r: LinuxDeviceCgroup): string {
  const n = (x: number | undefined) => (x === undefined || x === WILDCARD ? "*" : String(x));
  return `${r.allow ? "allow" : "deny"} ${r.type ?? "a"} ${n(r.major)}:${n(r.minor)} ${
    r.access ?? "rwm"
  }`;
}

/**
 * Fold `rules` (in order) into the final state, starting from "deny
 * everything" (an empty list allows nothing).
 * @throws {CgroupError} a malformed rule, an "a" rule that is not
 *   `a *:* rwm`, or a deny that would punch a hole in a wildcard allow.
 */
export function normalizeDeviceRules(rules: readonly LinuxDeviceCgroup[]): DeviceRuleSet {
  let defaultAllow = false;
  let exceptions: DeviceException[] = [];
  for (const rule of rules) {
    const what = ruleString(rule);
    const type = rule.type ?? "a";
    const major = number(rule.major, what);
    const minor = number(rule.minor, what);
    const access = accessBits(rule.access ?? "rwm", what);
    if (type === "a") {
      if (major !== WILDCARD || minor !== WILDCARD || access !== ACC_ALL) {
        // v1 would treat any "a…" line as a full reset: refuse the surprise
        throw invalid(what, 'type "a" applies to every device: use "a *:* rwm"');
      }
      defaultAllow = rule.allow;
      exceptions = [];
      continue;
    }
    if (type !== "c" && type !== "b") throw invalid(what, `unknown device type "${type}"`);
    const same = (e: DeviceException) => e.type === type && e.major === major && e.minor === minor;
    if (rule.allow !== defaultAllow) {
      const found = exceptions.find(same);
      if (found) found.access |= access;
      else exceptions.push({ type, major, minor, access });
      continue;
    }
    const wider = exceptions.find((e) =>
      !same(e) && e.type === type && (e.major === WILDCARD || e.major === major) &&
      (e.minor === WILDCARD || e.minor === minor) && (e.access & access) !== 0
    );
    if (wider) {
      throw invalid(
        what,
        `it cannot take access away from the wider rule "${exceptionString(wider)}"`,
      );
    }
    exceptions = exceptions.flatMap((e) => {
      if (!same(e)) return [e];
      const left = e.access & ~access;
      return left ? [{ ...e, access: left }] : [];
    });
  }
  return { defaultAllow, exceptions };
}

/**
 * The verdict of `set` for one access, as the kernel decides it on v1:
 * with an allow list the access must be covered by one exception; with a
 * deny list any overlap with an exception denies.
 */
export function deviceAllowed(
  set: DeviceRuleSet,
  type: "c" | "b",
  major: number,
  minor: number,
  access: number,
): boolean {
  const hit = set.exceptions.some((e) =>
    e.type === type && (e.major === WILDCARD || e.major === major) &&
    (e.minor === WILDCARD || e.minor === minor) &&
    (set.defaultAllow ? (e.access & access) !== 0 : (access & ~e.access) === 0)
  );
  return hit ? !set.defaultAllow : set.defaultAllow;
}

/** A major/minor field: absent or -1 = wildcard, else 0…2^31-1. */
function number(n: number | undefined, what: string): number {
  if (n === undefined || n === WILDCARD) return WILDCARD;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_NUMBER) {
    throw invalid(what, `device number ${n} is out of range`);
  }
  return n;
}

function invalid(what: string, why: string): CgroupError {
  return new CgroupError(`invalid device cgroup rule "${what}": ${why}`);
}
