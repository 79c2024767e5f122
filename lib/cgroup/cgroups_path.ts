/**
 * OCI `linux.cgroupsPath` → the path components below each hierarchy root.
 * Pure.
 *
 * - absolute (`/docker/<id>`, `/<ns>/<id>`, `/libpod_parent/libpod-<id>`):
 *   below the hierarchy root, as runc's cgroupfs driver places them;
 * - relative (`foo/<id>`): runc puts it below the runtime's own cgroup.
 *   tsbox puts it below the hierarchy root as well, so that every verb —
 *   run from whatever cgroup the caller happens to be in (podman runs
 *   `delete` itself, conmon runs `create`) — finds the same directory;
 * - the systemd form `slice:prefix:name` is refused: tsbox has no systemd
 *   cgroup driver.
 * @module
 */

import { CgroupError } from "../errors.ts";

/** One path component: what a cgroup directory may be called. */
const COMPONENT_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@+=-]*$/;
/** The kernel's NAME_MAX. */
const MAX_COMPONENT = 255;
/** Generous bound on the nesting (the kernel default cgroup.max.depth is unlimited). */
const MAX_DEPTH = 16;

/**
 * The components of `path` (`/docker/abc` → `["docker", "abc"]`).
 * @throws {CgroupError} empty, systemd form, an empty/`.`/`..` component,
 *   a character outside `[A-Za-z0-9_.@+=-]`, or too deep.
 */
export function parseCgroupsPath(path: string): string[] {
  const bad = (why: string, hint?: string) =>
    new CgroupError(`invalid cgroupsPath "${path}": ${why}`, { hint });
  if (path === "") throw bad("empty (the runtime uses the container id when the spec has none)");
  if (/^[^/:]*:[^/:]*:[^/:]+$/.test(path)) {
    throw bad(
      "the systemd form slice:prefix:name needs a systemd cgroup driver, which tsbox does not have",
      "give a cgroupfs path such as /docker/<id>",
    );
  }
  const parts = (path.startsWith("/") ? path.slice(1) : path).split("/");
  if (parts.length > MAX_DEPTH) throw bad(`more than ${MAX_DEPTH} components`);
  for (const p of parts) {
    if (p === "") throw bad("empty path component");
    if (p === "." || p === "..") throw bad(`"${p}" is not allowed`);
    if (p.length > MAX_COMPONENT) throw bad("a component is longer than 255 bytes");
    if (!COMPONENT_RE.test(p)) {
      throw bad(`component "${p}" has a character outside [A-Za-z0-9_.@+=-]`);
    }
  }
  return parts;
}

/** The normalized absolute form of `path` (`docker/x` → `/docker/x`). @throws {CgroupError} see parseCgroupsPath. */
export function normalizeCgroupsPath(path: string): string {
  return "/" + parseCgroupsPath(path).join("/");
}
