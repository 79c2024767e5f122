/**
 * Validate a whole OCI spec before the first side effect (runc's
 * libcontainer/specconv + configs/validate): one clear error naming the field.
 * @module
 */

import type { Spec } from "./spec.ts";
import { TsboxError } from "../errors.ts";
import { validateSeccomp } from "../seccomp/validate.ts";

const NS_TYPES = new Set(["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]);

function bad(field: string, why: string): TsboxError {
  return new TsboxError(`invalid config.json: ${field}: ${why}`, { exitCode: 1 });
}

/**
 * Check `spec` as read from a bundle.
 * @throws {TsboxError} the first invalid field (exit 1).
 */
export function validateSpec(spec: Spec): void {
  if (typeof spec !== "object" || spec === null) throw bad("(root)", "not an object");
  if (typeof spec.ociVersion !== "string" || !/^1\.\d+\.\d+/.test(spec.ociVersion)) {
    throw bad("ociVersion", `unsupported version ${JSON.stringify(spec.ociVersion)} (want 1.x)`);
  }
  if (!spec.root?.path) throw bad("root.path", "missing");
  const p = spec.process;
  if (!p) throw bad("process", "missing (tsbox-runc runs a process)");
  if (!p.cwd || !p.cwd.startsWith("/")) throw bad("process.cwd", "must be an absolute path");
  if (!Array.isArray(p.args) || p.args.length === 0) throw bad("process.args", "empty");
  if (typeof p.user?.uid !== "number" || typeof p.user?.gid !== "number") {
    throw bad("process.user", "uid and gid are required");
  }
  const seen = new Set<string>();
  for (const [i, ns] of (spec.linux?.namespaces ?? []).entries()) {
    if (!NS_TYPES.has(ns.type)) throw bad(`linux.namespaces[${i}].type`, `unknown "${ns.type}"`);
    if (seen.has(ns.type)) throw bad(`linux.namespaces[${i}]`, `duplicate ${ns.type} namespace`);
    seen.add(ns.type);
    if (ns.type === "user" || ns.type === "time") {
      throw bad(`linux.namespaces[${i}]`, `${ns.type} namespaces are not supported yet`);
    }
  }
  if (!seen.has("mount") && spec.linux) {
    throw bad("linux.namespaces", "a mount namespace is required");
  }
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (!m.destination?.startsWith("/")) {
      throw bad(
        `mounts[${i}].destination`,
        `must be absolute, got ${JSON.stringify(m.destination)}`,
      );
    }
  }
  if (spec.linux?.seccomp) validateSeccomp(spec.linux.seccomp);
}
