/**
 * Capability names and sets: docker's `--cap-add` / `--cap-drop` /
 * `--privileged` rules (moby `oci/caps.TweakCapabilities`) on top of the
 * default set, and the OCI `process.capabilities` they become.
 * @module
 */

import { UsageError } from "../errors.ts";
import { CAPABILITIES, DEFAULT_CAPABILITIES } from "../oci/defaults.ts";
import type { LinuxCapabilities } from "../oci/spec.ts";

/**
 * `sys_admin`, `CAP_SYS_ADMIN`, `Sys_Admin` → `CAP_SYS_ADMIN`; `all` → `ALL`.
 * @throws {UsageError} unknown capability (names the flag).
 */
export function normalizeCapability(name: string, flag: string): string {
  const up = name.trim().toUpperCase();
  if (up === "ALL") return "ALL";
  const full = up.startsWith("CAP_") ? up : `CAP_${up}`;
  if (!CAPABILITIES.includes(full)) {
    throw new UsageError(`invalid ${flag}: unknown capability: "${full}"`);
  }
  return full;
}

/**
 * The capability list a container gets (docker's order of precedence). Pure.
 * @param available what "all" means: the capabilities tsbox itself holds
 *   (a host root without CAP_SYS_RESOURCE cannot grant it), as podman does.
 */
export function tweakCapabilities(
  add: string[],
  drop: string[],
  privileged: boolean,
  available: readonly string[] = CAPABILITIES,
): string[] {
  if (privileged || add.includes("ALL")) {
    return available.filter((c) => privileged || !drop.includes(c));
  }
  const base = drop.includes("ALL") ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  const out = [...base];
  for (const c of add) if (c !== "ALL" && !out.includes(c)) out.push(c);
  return out;
}

/**
 * The OCI capability sets for `caps`: bounding, effective and permitted;
 * inheritable and ambient empty (moby after CVE-2022-24769). A non-root
 * process loses effective/permitted at execve, as the kernel rules say.
 */
export function ociCapabilities(caps: string[]): LinuxCapabilities {
  return {
    bounding: [...caps],
    effective: [...caps],
    permitted: [...caps],
    inheritable: [],
    ambient: [],
  };
}

/** Bit mask of capability names (unknown names are ignored). Pure. */
export function capMask(names: readonly string[] | undefined): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const i = CAPABILITIES.indexOf(n);
    if (i >= 0) m |= 1n << BigInt(i);
  }
  return m;
}

/** Capability numbers of `names`, sorted (unknown names are ignored). Pure. */
export function capNumbers(names: readonly string[] | undefined): number[] {
  return (names ?? []).map((n) => CAPABILITIES.indexOf(n)).filter((i) => i >= 0).sort((a, b) =>
    a - b
  );
}

/** Capability names in a `/proc/PID/status` hex mask (e.g. the CapBnd line). Pure. */
export function capNamesOfMask(hex: string): string[] {
  const m = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, i) => (m >> BigInt(i)) & 1n);
}

/** The calling process's bounding set, by name. */
export function ownBoundingSet(): string[] {
  const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return line ? capNamesOfMask(line[1]) : [...CAPABILITIES];
}
