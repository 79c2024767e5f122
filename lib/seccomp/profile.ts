/**
 * Docker / containers seccomp profiles (`docker run --security-opt
 * seccomp=FILE`, moby `profiles/seccomp`, containers-common `seccomp.json`):
 * the types and a strict parser. Every malformed profile gives one
 * `UsageError` line naming the field:
 * `tsbox: seccomp profile FILE: syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
 * @module
 */

import type { LinuxSeccompArg } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";
import {
  actionField,
  argField,
  arrayField,
  capabilityField,
  errnoNameField,
  errnoRetField,
  FieldError,
  flagField,
  join,
  listenerField,
  objectField,
  profileArchField,
  scmpArchField,
  stringField,
  syscallNameField,
} from "./fields.ts";

/** A parsed profile: names normalised to `names`, errno names to numbers. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  /** Extra architectures; exclusive with `archMap`. */
  architectures: string[];
  /** Per native architecture, the sub-architectures to add. */
  archMap: SeccompArchMapEntry[];
  syscalls: SeccompProfileSyscall[];
  flags: string[];
}

/** `archMap[]`. */
export interface SeccompArchMapEntry {
  architecture: string;
  subArchitectures: string[];
}

/** `syscalls[]` of a profile. */
export interface SeccompProfileSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args: LinuxSeccompArg[];
  comment?: string;
  includes: SeccompCondition;
  excludes: SeccompCondition;
}

/** `includes` / `excludes`: a rule applies only when these hold (or do not). */
export interface SeccompCondition {
  caps: string[];
  arches: string[];
  minKernel?: string;
}

const TOP_FIELDS = [
  "defaultAction",
  "defaultErrnoRet",
  "defaultErrno",
  "architectures",
  "archMap",
  "syscalls",
  "flags",
  "listenerPath",
  "listenerMetadata",
];
const SYSCALL_FIELDS = [
  "name",
  "names",
  "action",
  "errnoRet",
  "errno",
  "args",
  "comment",
  "includes",
  "excludes",
];

/**
 * Parse profile JSON text. `source` names the profile in errors (a path).
 * @throws UsageError `seccomp profile SOURCE: FIELD: WHY` on any defect.
 */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // JSON.parse throws SyntaxError only
    const why = err instanceof SyntaxError ? err.message : String(err);
    throw new UsageError(`seccomp profile ${source}: invalid JSON: ${why}`);
  }
  return checkSeccompProfile(json, source);
}

/**
 * Check an already-decoded profile value (e.g. a JSON import).
 * @throws UsageError `seccomp profile SOURCE: FIELD: WHY`.
 */
export function checkSeccompProfile(json: unknown, source: string): SeccompProfile {
  try {
    return profile(json);
  } catch (err) {
    if (err instanceof FieldError) {
      const where = err.field === "" ? "" : `${err.field}: `;
      throw new UsageError(`seccomp profile ${source}: ${where}${err.why}`);
    }
    throw err;
  }
}

function profile(json: unknown): SeccompProfile {
  const o = objectField(json, "", TOP_FIELDS);
  const defaultAction = actionField(o.defaultAction, "defaultAction");
  const defaultErrnoRet = errnoOf(o, "defaultErrnoRet", "defaultErrno", "", defaultAction);
  listenerField(o.listenerPath, "listenerPath");
  if (o.listenerMetadata !== undefined) stringField(o.listenerMetadata, "listenerMetadata");
  const architectures = arrayField(o.architectures, "architectures", scmpArchField);
  const archMap = arrayField(o.archMap, "archMap", archMapEntry);
  if (architectures.length > 0 && archMap.length > 0) {
    throw new FieldError("archMap", "use either architectures or archMap, not both");
  }
  return {
    defaultAction,
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    architectures,
    archMap,
    syscalls: arrayField(o.syscalls, "syscalls", syscall),
    flags: arrayField(o.flags, "flags", flagField),
  };
}

function archMapEntry(v: unknown, path: string): SeccompArchMapEntry {
  const o = objectField(v, path, ["architecture", "subArchitectures"]);
  const archPath = join(path, "architecture");
  if (o.architecture === undefined) throw new FieldError(archPath, "missing");
  return {
    architecture: scmpArchField(o.architecture, archPath),
    subArchitectures: arrayField(o.subArchitectures, join(path, "subArchitectures"), scmpArchField),
  };
}

function syscall(v: unknown, path: string): SeccompProfileSyscall {
  const o = objectField(v, path, SYSCALL_FIELDS);
  const names = syscallNames(o, path);
  const action = actionField(o.action, join(path, "action"));
  const errnoRet = errnoOf(o, "errnoRet", "errno", path, action);
  const out: SeccompProfileSyscall = {
    names,
    action,
    args: arrayField(o.args, join(path, "args"), argField),
    includes: condition(o.includes, join(path, "includes")),
    excludes: condition(o.excludes, join(path, "excludes")),
  };
  if (errnoRet !== undefined) out.errnoRet = errnoRet;
  if (o.comment !== undefined && o.comment !== null) {
    out.comment = stringField(o.comment, join(path, "comment"));
  }
  return out;
}

function syscallNames(o: Record<string, unknown>, path: string): string[] {
  const hasName = o.name !== undefined && o.name !== "";
  const names = arrayField(o.names, join(path, "names"), syscallNameField);
  if (hasName && names.length > 0) {
    throw new FieldError(join(path, "name"), "use either name or names, not both");
  }
  if (hasName) return [syscallNameField(o.name, join(path, "name"))];
  if (names.length === 0) throw new FieldError(join(path, "names"), "missing or empty");
  return names;
}

function condition(v: unknown, path: string): SeccompCondition {
  if (v === undefined || v === null) return { caps: [], arches: [] };
  const o = objectField(v, path, ["caps", "arches", "minKernel"]);
  const out: SeccompCondition = {
    caps: arrayField(o.caps, join(path, "caps"), capabilityField),
    arches: arrayField(o.arches, join(path, "arches"), profileArchField),
  };
  if (o.minKernel !== undefined && o.minKernel !== "") {
    const p = join(path, "minKernel");
    const s = stringField(o.minKernel, p);
    if (parseKernelVersion(s) === null) throw new FieldError(p, `invalid kernel version "${s}"`);
    out.minKernel = s;
  }
  return out;
}

/** errnoRet (number) and/or errno (name) of a rule: they must agree. */
function errnoOf(
  o: Record<string, unknown>,
  retKey: string,
  nameKey: string,
  path: string,
  action: string,
): number | undefined {
  const ret = o[retKey] === undefined || o[retKey] === null
    ? undefined
    : errnoRetField(o[retKey], join(path, retKey), action);
  if (o[nameKey] === undefined || o[nameKey] === "") return ret;
  const byName = errnoNameField(o[nameKey], join(path, nameKey));
  errnoRetField(byName, join(path, nameKey), action);
  if (ret !== undefined && ret !== byName) {
    throw new FieldError(join(path, nameKey), `${o[nameKey]} (${byName}) disagrees with ${ret}`);
  }
  return byName;
}

/** "5.8", "4.14.0", "6.18.44-fc-v669" → [major, minor, patch]; null when not a version. */
export function parseKernelVersion(s: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+_.~][\w.+~-]*)?$/.exec(s);
  if (m === null) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
