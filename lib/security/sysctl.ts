/**
 * `--sysctl K=V`: only namespaced sysctls, as runc validates them — IPC
 * (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), UTS
 * (kernel.domainname) and net.* in the container's own network namespace.
 * @module
 */

import { UsageError } from "../errors.ts";

const IPC = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/**
 * Parse and validate `--sysctl` values.
 * @param ownNetns false for `--network host` (net.* would change the host).
 * @throws {UsageError} malformed, not namespaced, or net.* without a netns.
 */
export function parseSysctls(raw: string[], ownNetns: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of raw) {
    const eq = r.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid argument "${r}" for "--sysctl" flag: want K=V`);
    const key = r.slice(0, eq).trim().replaceAll("/", ".");
    const value = r.slice(eq + 1);
    if (!/^[a-z0-9_.-]+$/i.test(key) || key.includes("..")) {
      throw new UsageError(`invalid sysctl name: ${key}`);
    }
    const ok = IPC.has(key) || key.startsWith("fs.mqueue.") || key === "kernel.domainname" ||
      key.startsWith("net.");
    if (!ok) {
      throw new UsageError(`sysctl "${key}" is not namespaced and cannot be set in a container`);
    }
    if (key.startsWith("net.") && !ownNetns) {
      throw new UsageError(`sysctl "${key}" is not allowed in the host network namespace`);
    }
    out[key] = value;
  }
  return out;
}
