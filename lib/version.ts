/**
 * tsbox's version and the build facts `version`/`info` report.
 * @module
 */

/** The tsbox release. */
export const VERSION = "0.1.0";

/** docker's API version tsbox's CLI behaviour follows (docker 28). */
export const DOCKER_API_VERSION = "1.51";

/** Go-style OS/arch names (`linux`, `amd64`) of this machine. */
export function goPlatform(): { os: string; arch: string } {
  const arch = Deno.build.arch === "x86_64"
    ? "amd64"
    : Deno.build.arch === "aarch64"
    ? "arm64"
    : Deno.build.arch;
  return { os: Deno.build.os, arch };
}
