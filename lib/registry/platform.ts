/**
 * Platforms (`os/arch[/variant]`): parsing `--platform`, the host's default,
 * and choosing one entry of a multi-platform index the way containerd does
 * (aliases normalised, arm64's implicit `v8`). Pure: no I/O.
 * @module
 */

import { ImageError, UsageError } from "../errors.ts";
import type { IndexEntry, Platform } from "./manifest.ts";

const ARCH_ALIASES: Record<string, { arch: string; variant?: string }> = {
  "x86_64": { arch: "amd64" },
  "x86-64": { arch: "amd64" },
  "aarch64": { arch: "arm64" },
  "armhf": { arch: "arm", variant: "v7" },
  "armel": { arch: "arm", variant: "v6" },
  "i686": { arch: "386" },
  "i386": { arch: "386" },
};

/** Normalise aliases: `x86_64` → `amd64`, `aarch64` → `arm64`, arm64's `v8` dropped (it is the default). */
export function normalizePlatform(p: Platform): Platform {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  const alias = ARCH_ALIASES[arch];
  if (alias) {
    arch = alias.arch;
    variant ??= alias.variant;
  }
  if (arch === "arm64" && variant === "v8") variant = undefined;
  if (arch === "amd64" && variant === "v1") variant = undefined;
  return { os: p.os.toLowerCase(), architecture: arch, variant };
}

/**
 * Parse `--platform` (`linux/arm64`, `linux/arm/v7`, `arm64` meaning linux/arm64).
 * @throws {UsageError} empty parts or more than three of them.
 */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split("/");
  if (parts.length > 3 || parts.some((x) => !x || !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new UsageError(`invalid platform "${s}": expected os/arch[/variant], e.g. linux/arm64`);
  }
  if (parts.length === 1) return normalizePlatform({ os: "linux", architecture: parts[0] });
  return normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] });
}

/** The host platform: linux + `Deno.build.arch` in OCI spelling (amd64/arm64). */
export function hostPlatform(): Platform {
  return normalizePlatform({ os: "linux", architecture: Deno.build.arch });
}

/** `linux/arm64/v8`-style text for messages. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** True when a (normalised) platform satisfies the wanted one; no wanted variant accepts any. */
export function platformMatches(have: Platform, want: Platform): boolean {
  const h = normalizePlatform(have);
  const w = normalizePlatform(want);
  if (h.os !== w.os || h.architecture !== w.architecture) return false;
  return !w.variant || h.variant === w.variant;
}

/**
 * Pick the index entry for `want`; among several matches prefer an exact
 * variant match, then the first (registries list the preferred one first).
 * @throws {ImageError} no entry matches (lists what the index offers).
 */
export function selectPlatform(entries: IndexEntry[], want: Platform, what: string): IndexEntry {
  const matches = entries.filter((e) => e.platform && platformMatches(e.platform, want));
  const w = normalizePlatform(want);
  const exact = matches.find((e) => normalizePlatform(e.platform!).variant === w.variant);
  const chosen = exact ?? matches[0];
  if (chosen) return chosen;
  const offered = entries.filter((e) => e.platform && e.platform.os !== "unknown")
    .map((e) => formatPlatform(normalizePlatform(e.platform!)));
  throw new ImageError(
    `no matching manifest for ${formatPlatform(w)} in the manifest list entries of ${what}`,
    { hint: offered.length ? `available platforms: ${offered.join(", ")}` : undefined },
  );
}
