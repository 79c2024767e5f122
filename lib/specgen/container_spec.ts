/**
 * specgen: a tsbox container (docker flags + image config, resolved into
 * its record) → the OCI runtime spec it runs with. The only place that
 * knows how docker's notions map onto `config.json`; the init and the
 * runc-style runtime consume the result. What OCI has no field for — the
 * overlay layers, volume copy-up, a user name to resolve in the image —
 * travels beside it in the init spec (podman keeps these in its own
 * pre-start steps the same way).
 * @module
 */

import type { ContainerConfig } from "../container/store.ts";
import type { PreparedMount } from "../../volumes/types.ts";
import { DEFAULT_MOUNTS } from "../oci/defaults.ts";
import { type Mount, OCI_VERSION, type Spec } from "../oci/spec.ts";
import { DEFAULT_SHM_SIZE, type SpecJoins, specNamespaces, withShm } from "./namespaces.ts";
import { groupAddAnnotations } from "./group_add.ts";

/** Annotation carrying `-u` / image `User` as typed (a name is resolved in the image). */
export const USER_ANNOTATION = "io.tsbox.user";

/** What the spec needs besides the record. */
export interface SpecInputs {
  /** The container's root (its overlay mountpoint). */
  rootfs: string;
  /** Host files bound over /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  /** `linux.cgroupsPath`. */
  cgroupsPath: string;
  /** Join this network namespace (`--network container:`) instead of a new one; null: the host's. */
  netns?: string | null;
  /** `--pid`/`--ipc`/`--uts` joins (paths opened by the runner; null: the host's). */
  joins?: SpecJoins;
}

/** docker's volume/bind/tmpfs mounts as OCI mounts, parents before children. Pure. */
export function volumeMounts(mounts: PreparedMount[]): Mount[] {
  const depth = (t: string) => t.split("/").filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.target) - depth(b.target)).map((m): Mount => {
    if (m.type === "tmpfs") {
      return {
        destination: m.target,
        type: "tmpfs",
        source: "tmpfs",
        options: [...(m.tmpfsOptions ?? []), ...(m.readOnly ? ["ro"] : [])],
      };
    }
    if (m.fs) {
      return {
        destination: m.target,
        type: m.fs.type,
        source: m.source,
        options: [...m.fs.options, ...(m.readOnly ? ["ro"] : [])],
      };
    }
    return {
      destination: m.target,
      type: "bind",
      source: m.source,
      options: ["rbind", ...(m.readOnly ? ["ro"] : []), m.propagation],
    };
  });
}

/** The OCI spec of container `c`. Pure. */
export function containerSpec(c: ContainerConfig, inp: SpecInputs): Spec {
  const sec = c.security;
  const p = c.process;
  const env = [...p.env];
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  if (!has("HOSTNAME")) env.push(`HOSTNAME=${c.hostname}`);
  if (p.tty && !has("TERM")) env.push("TERM=xterm");
  const mounts: Mount[] = withShm(
    DEFAULT_MOUNTS.map((m) => {
      if (!sec.privileged || (m.type !== "sysfs" && m.type !== "cgroup")) return { ...m };
      return { ...m, options: (m.options ?? []).filter((o) => o !== "ro") }; // rw /sys for --privileged
    }),
    c.namespaceModes?.ipc ?? "private",
    c.shmSize ?? DEFAULT_SHM_SIZE,
  );
  mounts.push(...volumeMounts(c.mounts as PreparedMount[]));
  // last: a volume over /etc must not hide the generated files
  for (
    const [dest, source] of [
      ["/etc/hosts", inp.etcFiles.hosts],
      ["/etc/resolv.conf", inp.etcFiles.resolvConf],
      ["/etc/hostname", inp.etcFiles.hostname],
    ]
  ) mounts.push({ destination: dest, type: "bind", source, options: ["rbind", "rprivate"] });
  const namespaces = specNamespaces(
    { ...inp.joins, net: inp.netns },
    sec.cgroupns === "private",
  );
  const ownUts = inp.joins?.uts === undefined; // sharing the host's: its hostname is left alone
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: p.tty,
      user: { uid: p.uid, gid: p.gid, additionalGids: p.groups },
      args: p.args,
      env,
      cwd: p.cwd,
      capabilities: sec.process.capabilities,
      rlimits: sec.process.rlimits,
      noNewPrivileges: sec.process.noNewPrivileges,
      ...(sec.process.oomScoreAdj !== undefined ? { oomScoreAdj: sec.process.oomScoreAdj } : {}),
    },
    root: { path: inp.rootfs, readonly: sec.readonlyRootfs },
    ...(ownUts ? { hostname: c.hostname } : {}),
    mounts,
    annotations: { [USER_ANNOTATION]: p.user, ...groupAddAnnotations(p.groupAdd) },
    linux: {
      namespaces,
      cgroupsPath: inp.cgroupsPath,
      resources: { devices: sec.linux.deviceRules },
      devices: sec.linux.devices,
      maskedPaths: sec.linux.maskedPaths,
      readonlyPaths: sec.linux.readonlyPaths,
      sysctl: sec.linux.sysctl,
      ...(sec.linux.seccomp ? { seccomp: sec.linux.seccomp } : {}),
    },
  };
}
