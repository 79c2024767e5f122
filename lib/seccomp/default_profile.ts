/**
 * tsbox's default seccomp profile, kept as data in `default.json`: docker's
 * default profile, moby/profiles `seccomp/default.json` at tag
 * seccomp/v0.2.3 (commit 836ae4d37ef2, vendored by moby master b985e2313a8),
 * same content, re-indented by `deno fmt`. Deny by default with EPERM;
 * mount/unshare/setns/namespaced clone only with CAP_SYS_ADMIN, clone3 ENOSYS
 * without it; keyctl/add_key/request_key never. To update, copy the newer
 * file over it and refresh tests/seccomp/equivalence_test.ts's table.
 * Imported statically so `deno compile` embeds it.
 * @module
 */

import DEFAULT_PROFILE_JSON from "./default.json" with { type: "json" };
import {
  checkSeccompProfile,
  type SeccompCondition,
  type SeccompProfile,
  type SeccompProfileSyscall,
} from "./profile.ts";
import { profileToSeccomp, type SeccompTarget } from "./convert.ts";
import type { LinuxSeccomp, LinuxSeccompArg } from "../oci/spec.ts";

/** How errors name the built-in profile. */
export const DEFAULT_PROFILE_SOURCE = "(tsbox default)";

/** The default profile, parsed and checked (a fresh copy each call). */
export function checkedDefaultProfile(): SeccompProfile {
  return checkSeccompProfile(structuredClone(DEFAULT_PROFILE_JSON), DEFAULT_PROFILE_SOURCE);
}

/** The fields of default.json's rules, as docker spells them. */
interface RawCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}
interface RawRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: (Omit<LinuxSeccompArg, "valueTwo"> & { valueTwo?: number })[] | null;
  comment?: string | null;
  includes?: RawCondition | null;
  excludes?: RawCondition | null;
}

function condition(c: RawCondition | null | undefined): SeccompCondition {
  const out: SeccompCondition = { caps: [...(c?.caps ?? [])], arches: [...(c?.arches ?? [])] };
  if (c?.minKernel) out.minKernel = c.minKernel;
  return out;
}

/**
 * The default profile (a fresh copy each call) in the form the checking
 * parser gives it, converted without checking it again: every `run` needs
 * it, and checking its ~400 names costs ~1.5 ms of cold code before the
 * spec. It is the file this module ships, checked by the parser in
 * tests/seccomp/default_profile_test.ts, which also checks that both forms are equal.
 */
export function defaultSeccompProfile(): SeccompProfile {
  const j = DEFAULT_PROFILE_JSON as unknown as {
    defaultAction: string;
    defaultErrnoRet?: number;
    archMap: { architecture: string; subArchitectures: string[] | null }[];
    syscalls: RawRule[];
  };
  const rule = (r: RawRule): SeccompProfileSyscall => {
    const out: SeccompProfileSyscall = {
      names: [...r.names],
      action: r.action,
      args: (r.args ?? []).map((a) => ({ ...a, valueTwo: a.valueTwo ?? 0 })),
      includes: condition(r.includes),
      excludes: condition(r.excludes),
    };
    if (r.errnoRet !== undefined) out.errnoRet = r.errnoRet;
    if (r.comment !== undefined && r.comment !== null) out.comment = r.comment;
    return out;
  };
  return {
    defaultAction: j.defaultAction,
    ...(j.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: j.defaultErrnoRet }),
    architectures: [],
    archMap: j.archMap.map((a) => ({
      architecture: a.architecture,
      subArchitectures: [...(a.subArchitectures ?? [])],
    })),
    syscalls: j.syscalls.map(rule),
    flags: [],
  };
}

/**
 * The default profile as the `linux.seccomp` of a container with these
 * capabilities on this host (see `profileToSeccomp`).
 */
export function defaultSeccomp(target: SeccompTarget): LinuxSeccomp {
  return profileToSeccomp(defaultSeccompProfile(), target);
}
