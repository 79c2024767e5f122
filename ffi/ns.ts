/**
 * Namespace file descriptors (for setns).
 * @module
 */

import { libc } from "./libc.ts";
import { check } from "./syscall.ts";
import { cstr } from "./cstring.ts";
import { O_CLOEXEC, O_RDONLY } from "./consts.ts";

/** open(2) a namespace file (`/proc/PID/ns/net` …) read-only, close-on-exec. */
export function openNsFd(path: string): number {
  return check("open", libc().open(cstr(path), O_RDONLY | O_CLOEXEC, 0), path);
}
