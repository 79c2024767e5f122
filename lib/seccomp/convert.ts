/**
 * Profile → OCI `linux.seccomp`, with moby's semantics
 * (`profiles/seccomp/seccomp_linux.go` `setupSeccomp`): a rule is kept only
 * when its `excludes` do not match (no excluded arch, none of the excluded
 * caps held, kernel older than `excludes.minKernel`) and its `includes` do
 * (arch listed, every cap held, kernel at least `includes.minKernel`);
 * `archMap` contributes the entry of the native architecture.
 * @module
 */

import type { LinuxSeccomp, LinuxSyscall } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";
import { HOST_ARCHES } from "./names.ts";
import { parseKernelVersion, type SeccompCondition, type SeccompProfile } from "./profile.ts";

/** What the conversion needs to know about the container and the host. */
export interface SeccompTarget {
  /** The container's capabilities (bounding set), e.g. `DEFAULT_CAPABILITIES`. */
  capabilities: readonly string[];
  /** Host architecture in `Deno.build.arch` spelling ("x86_64", "aarch64"). */
  arch: string;
  /** Running kernel release, e.g. `Deno.osRelease()` ("6.18.44-…"). */
  kernelRelease: string;
}

/**
 * Turn a parsed profile into the `LinuxSeccomp` a runtime applies. Pure.
 * @throws UsageError for an architecture or kernel release tsbox cannot read.
 */
export function profileToSeccomp(profile: SeccompProfile, target: SeccompTarget): LinuxSeccomp {
  const host = HOST_ARCHES[target.arch];
  if (host === undefined) {
    throw new UsageError(`seccomp: no seccomp architecture known for host arch "${target.arch}"`);
  }
  const kernel = parseKernelVersion(target.kernelRelease);
  if (kernel === null) {
    throw new UsageError(`seccomp: cannot read kernel release "${target.kernelRelease}"`);
  }
  const caps = new Set(target.capabilities);
  const applies = (c: SeccompCondition, include: boolean): boolean => {
    if (include) {
      if (c.arches.length > 0 && !c.arches.includes(host.profileName)) return false;
      if (!c.caps.every((cap) => caps.has(cap))) return false;
      return c.minKernel === undefined || kernelAtLeast(kernel, c.minKernel);
    }
    if (c.arches.includes(host.profileName)) return true;
    if (c.caps.some((cap) => caps.has(cap))) return true;
    return c.minKernel !== undefined && kernelAtLeast(kernel, c.minKernel);
  };

  const architectures = [...profile.architectures];
  const mapped = profile.archMap.find((a) => a.architecture === host.scmpArch);
  if (mapped) architectures.push(mapped.architecture, ...mapped.subArchitectures);

  const syscalls: LinuxSyscall[] = [];
  for (const rule of profile.syscalls) {
    if (applies(rule.excludes, false) || !applies(rule.includes, true)) continue;
    const out: LinuxSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args.length > 0) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }

  const seccomp: LinuxSeccomp = { defaultAction: profile.defaultAction, syscalls };
  if (profile.defaultErrnoRet !== undefined) seccomp.defaultErrnoRet = profile.defaultErrnoRet;
  if (architectures.length > 0) seccomp.architectures = architectures;
  if (profile.flags.length > 0) seccomp.flags = [...profile.flags];
  return seccomp;
}

function kernelAtLeast(running: [number, number, number], min: string): boolean {
  const want = parseKernelVersion(min);
  if (want === null) return false; // the parser rejected such a value already
  for (let i = 0; i < 3; i++) {
    if (running[i] !== want[i]) return running[i] > want[i];
  }
  return true;
}

/** The `SeccompTarget` of this host for a container holding `capabilities` (needs --allow-sys). */
export function hostSeccompTarget(capabilities: readonly string[]): SeccompTarget {
  return { capabilities, arch: Deno.build.arch, kernelRelease: Deno.osRelease() };
}
