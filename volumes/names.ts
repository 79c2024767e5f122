/**
 * Volume names: docker's validity rule and random names for anonymous
 * volumes (64 hex chars, like docker's). Pure except for the RNG.
 * @module
 */

/** docker's local-driver volume name rule. */
export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** True when `name` is a valid volume name. */
export function isValidVolumeName(name: string): boolean {
  return VOLUME_NAME_RE.test(name);
}

/** docker's message for an invalid name (it also hints at host paths). */
export function invalidVolumeNameMessage(name: string): string {
  return `"${name}" includes invalid characters for a local volume name, only ` +
    `"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
}

/** A fresh anonymous volume name: 32 random bytes as hex. */
export function randomVolumeName(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
