/**
 * Validate a whole OCI spec before the first side effect (runc's
 * libcontainer/specconv + configs/validate): one clear error naming the field.
 * @module
 */

import type { Spec } from "./spec.ts";
import { TsboxError } from "../errors.ts";
import { validateSeccomp } from "../seccomp/validate.ts";
import { rlimitNumber } from "../security/ulimits.ts";

const NS_TYPES = new Set(["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]);

/** /proc/PID/ns link names of the OCI namespace types. */
export const NS_LINK: Record<string, string> = {
  pid: "pid",
  network: "net",
  mount: "mnt",
  ipc: "ipc",
  uts: "uts",
  user: "user",
  cgroup: "cgroup",
  time: "time",
};

/** A namespace path must be a namespace of that type (its link reads `net:[4026…]`). */
function checkNsPath(type: string, path: string, field: string): void {
  let link: string;
  try {
    link = Deno.readLinkSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw bad(field, `${path}: no such namespace`);
    // a bind-mounted namespace file (ip netns) is no link: setns checks its type
    return;
  }
  if (!link.startsWith(`${NS_LINK[type]}:[`)) {
    throw bad(field, `${path} is a ${link.split(":")[0]} namespace, not ${type}`);
  }
}

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
    if (ns.type === "time") {
      throw bad(`linux.namespaces[${i}]`, `${ns.type} namespaces are not supported yet`);
    }
    if (ns.path) checkNsPath(ns.type, ns.path, `linux.namespaces[${i}].path`);
  }
  const userNs = (spec.linux?.namespaces ?? []).find((n) => n.type === "user");
  if (userNs && !userNs.path) {
    for (const k of ["uidMappings", "gidMappings"] as const) {
      if (!spec.linux?.[k]?.length) throw bad(`linux.${k}`, "required with a new user namespace");
    }
  }
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (!m.destination?.startsWith("/")) {
      throw bad(
        `mounts[${i}].destination`,
        `must be absolute, got ${JSON.stringify(m.destination)}`,
      );
    }
  }
  for (const [i, r] of (p.rlimits ?? []).entries()) {
    if (rlimitNumber(r.type) === undefined || !r.type.startsWith("RLIMIT_")) {
      throw bad(`process.rlimits[${i}].type`, `unknown rlimit ${JSON.stringify(r.type)}`);
    }
    if (r.soft > r.hard) throw bad(`process.rlimits[${i}]`, "soft limit above the hard limit");
  }
  for (const [i, d] of (spec.linux?.devices ?? []).entries()) {
    if (!["c", "b", "u", "p"].includes(d.type)) {
      throw bad(`linux.devices[${i}].type`, `unknown device type ${JSON.stringify(d.type)}`);
    }
    if (!d.path?.startsWith("/dev/")) throw bad(`linux.devices[${i}].path`, "must be below /dev");
  }
  if (spec.linux?.seccomp) validateSeccomp(spec.linux.seccomp);
}
