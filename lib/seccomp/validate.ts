/**
 * Validation of an OCI `linux.seccomp` (as containerd / podman send it in
 * config.json, or as `profileToSeccomp` built it), before any side effect.
 * @module
 */

import type { LinuxSeccomp } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";
import {
  actionField,
  argField,
  arrayField,
  errnoRetField,
  FieldError,
  flagField,
  isObject,
  join,
  listenerField,
  scmpArchField,
  stringField,
  syscallNameField,
} from "./fields.ts";

/**
 * Check every field tsbox will hand to libseccomp: actions (SCMP_ACT_NOTIFY
 * refused), errno values, architectures, flags, names and args (index 0..5,
 * known operator, exact integer values). Unknown properties are ignored, as
 * the runtime spec requires. Pure.
 * @throws UsageError `linux.seccomp.FIELD: WHY`.
 */
export function validateSeccomp(s: LinuxSeccomp): void {
  try {
    check(s);
  } catch (err) {
    if (err instanceof FieldError) {
      throw new UsageError(`linux.seccomp${err.field ? "." + err.field : ""}: ${err.why}`);
    }
    throw err;
  }
}

function check(s: unknown): void {
  if (!isObject(s)) throw new FieldError("", "expected an object");
  const defaultAction = actionField(s.defaultAction, "defaultAction");
  if (s.defaultErrnoRet !== undefined && s.defaultErrnoRet !== null) {
    errnoRetField(s.defaultErrnoRet, "defaultErrnoRet", defaultAction);
  }
  arrayField(s.architectures, "architectures", scmpArchField);
  arrayField(s.flags, "flags", flagField);
  listenerField(s.listenerPath, "listenerPath");
  if (s.listenerMetadata !== undefined) stringField(s.listenerMetadata, "listenerMetadata");
  arrayField(s.syscalls, "syscalls", (v, path) => {
    // unknown properties are ignored, as the runtime spec requires
    if (!isObject(v)) throw new FieldError(path, "expected an object");
    const o = v;
    const names = arrayField(o.names, join(path, "names"), syscallNameField);
    if (names.length === 0) throw new FieldError(join(path, "names"), "missing or empty");
    const action = actionField(o.action, join(path, "action"));
    if (o.errnoRet !== undefined && o.errnoRet !== null) {
      errnoRetField(o.errnoRet, join(path, "errnoRet"), action);
    }
    arrayField(o.args, join(path, "args"), (a, p) => argField(a, p, true));
  });
}
