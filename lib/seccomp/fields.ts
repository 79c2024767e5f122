/**
 * Field checks shared by the profile parser and `validateSeccomp`: each
 * takes an untrusted value and its path (`syscalls[3].action`) and returns
 * the typed value or throws `FieldError`, which the caller turns into one
 * `UsageError` line.
 * @module
 */

import type { LinuxSeccompArg } from "../oci/spec.ts";
import { CAPABILITIES } from "../oci/defaults.ts";
import { ERRNO_NAMES } from "../../ffi/errno.ts";
import {
  ACTIONS_WITH_ERRNO,
  MAX_ARG_INDEX,
  MAX_ERRNO,
  PROFILE_ARCH_NAMES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAG_WAIT_KILLABLE_RECV,
  SECCOMP_FLAGS,
  SECCOMP_OPS,
} from "./names.ts";

/** A bad field: `field` is its path, `why` the reason. */
export class FieldError extends Error {
  constructor(readonly field: string, readonly why: string) {
    super(`${field}: ${why}`);
    this.name = "FieldError";
  }
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` as an object; rejects keys outside `allowed`. */
export function objectField(
  v: unknown,
  path: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (!isObject(v)) throw new FieldError(path, `expected an object, got ${describe(v)}`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new FieldError(join(path, k), "unknown field");
  }
  return v;
}

/** `v` as an array (absent/null → `[]`), each item mapped by `each(item, itemPath)`. */
export function arrayField<T>(
  v: unknown,
  path: string,
  each: (item: unknown, itemPath: string) => T,
): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(path, `expected an array, got ${describe(v)}`);
  return v.map((item, i) => each(item, `${path}[${i}]`));
}

/** `v` as a string. */
export function stringField(v: unknown, path: string): string {
  if (typeof v !== "string") throw new FieldError(path, `expected a string, got ${describe(v)}`);
  return v;
}

/** A seccomp action name (SCMP_ACT_NOTIFY is refused: tsbox has no listener). */
export function actionField(v: unknown, path: string): string {
  if (v === undefined) throw new FieldError(path, "missing");
  const s = stringField(v, path);
  if (!SECCOMP_ACTIONS.includes(s)) throw new FieldError(path, `unknown action ${q(s)}`);
  if (s === "SCMP_ACT_NOTIFY") {
    throw new FieldError(path, "SCMP_ACT_NOTIFY is not supported (tsbox has no notify listener)");
  }
  return s;
}

/** An errno return value 0..MAX_ERRNO, allowed only with an action that carries one. */
export function errnoRetField(v: unknown, path: string, action: string): number {
  const n = integerField(v, path, 0, MAX_ERRNO);
  if (!ACTIONS_WITH_ERRNO.includes(action)) {
    throw new FieldError(path, `not allowed with ${action} (only SCMP_ACT_ERRNO, SCMP_ACT_TRACE)`);
  }
  return n;
}

/** An errno by name (`"ENOSYS"`), as containers/common's `errno` / `defaultErrno`. */
export function errnoNameField(v: unknown, path: string): number {
  const s = stringField(v, path);
  for (const [num, name] of Object.entries(ERRNO_NAMES)) if (name === s) return Number(num);
  throw new FieldError(path, `unknown errno name ${q(s)}`);
}

/** An integer in [min, max] that a JS number holds exactly. */
export function integerField(v: unknown, path: string, min: number, max: number): number {
  if (v === undefined) throw new FieldError(path, "missing");
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new FieldError(path, `expected an integer, got ${describe(v)}`);
  }
  if (!Number.isSafeInteger(v)) {
    throw new FieldError(path, `${v} is too large to be exact (limit 2^53-1)`);
  }
  if (v < min || v > max) throw new FieldError(path, `${v} is out of range ${min}..${max}`);
  return v;
}

/** One `args[]` entry {index 0..5, value, valueTwo, op}; `lenient` ignores other keys. */
export function argField(v: unknown, path: string, lenient = false): LinuxSeccompArg {
  const fields = ["index", "value", "valueTwo", "op"];
  const o = objectField(v, path, lenient && isObject(v) ? Object.keys(v) : fields);
  const index = integerField(o.index, join(path, "index"), 0, MAX_ARG_INDEX);
  const value = integerField(o.value, join(path, "value"), 0, Number.MAX_SAFE_INTEGER);
  const valueTwo = o.valueTwo === undefined
    ? 0
    : integerField(o.valueTwo, join(path, "valueTwo"), 0, Number.MAX_SAFE_INTEGER);
  const opPath = join(path, "op");
  if (o.op === undefined) throw new FieldError(opPath, "missing");
  const op = stringField(o.op, opPath);
  if (!SECCOMP_OPS.includes(op)) throw new FieldError(opPath, `unknown operator ${q(op)}`);
  return { index, value, valueTwo, op };
}

/** A syscall name (letters, digits, underscore); unknown names are skipped at load. */
export function syscallNameField(v: unknown, path: string): string {
  const s = stringField(v, path);
  if (!/^[A-Za-z0-9_]+$/.test(s)) throw new FieldError(path, `invalid syscall name ${q(s)}`);
  return s;
}

/** An `SCMP_ARCH_*` name. */
export function scmpArchField(v: unknown, path: string): string {
  const s = stringField(v, path);
  if (!(s in SECCOMP_ARCHES)) throw new FieldError(path, `unknown architecture ${q(s)}`);
  return s;
}

/** An `includes/excludes.arches` name ("amd64"). */
export function profileArchField(v: unknown, path: string): string {
  const s = stringField(v, path);
  if (!PROFILE_ARCH_NAMES.includes(s)) throw new FieldError(path, `unknown architecture ${q(s)}`);
  return s;
}

/** A capability name (CAP_SYS_ADMIN…). */
export function capabilityField(v: unknown, path: string): string {
  const s = stringField(v, path);
  if (!CAPABILITIES.includes(s)) throw new FieldError(path, `unknown capability ${q(s)}`);
  return s;
}

/** A `flags[]` name. */
export function flagField(v: unknown, path: string): string {
  const s = stringField(v, path);
  if (s === SECCOMP_FLAG_WAIT_KILLABLE_RECV) {
    throw new FieldError(path, `${s} is not supported (tsbox has no notify listener)`);
  }
  if (!SECCOMP_FLAGS.includes(s)) throw new FieldError(path, `unknown flag ${q(s)}`);
  return s;
}

/** Refuse a notify listener path (tsbox has none). */
export function listenerField(v: unknown, path: string): void {
  if (v === undefined || v === null || v === "") return;
  stringField(v, path);
  throw new FieldError(path, "seccomp notify listeners are not supported");
}

/** `a.b` / `a[0]` path joining. */
export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function q(s: string): string {
  return JSON.stringify(s);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "object") return "an object";
  return String(v);
}
