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
import { limitsToOci } from "../cgroup/oci_resources.ts";
import type { ResourceLimits } from "../cgroup/types.ts";
import { type Mount, OCI_VERSION, type Spec } from "../oci/spec.ts";
import { DEFAULT_SHM_SIZE, type SpecJoins, specNamespaces, withShm } from "./namespaces.ts";
import { groupAddAnnotations } from "./group_add.ts";
import { USER_ANNOTATION } from "../oci/annotations.ts";

export { USER_ANNOTATION };

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
  /** Rootless: tsbox runs in a user namespace of its own. */
  rootless?: boolean;
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
      options: [
        "rbind",
        ...(m.readOnly ? ["ro"] : []),
        m.propagation,
        ...(m.idmap ? ["idmap"] : []),
      ],
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
    inp.joins?.shm?.source,
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
  const u = c.userns;
  if (u) namespaces.unshift({ type: "user" });
  if (u || inp.rootless) {
    if (inp.netns === null) {
      // sysfs can only be mounted by the user namespace owning the netns: the host's /sys instead
      const i = mounts.findIndex((m) => m.type === "sysfs");
      if (i >= 0) {
        mounts[i] = {
          destination: "/sys",
          type: "bind",
          source: "/sys",
          options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
        };
      }
    }
  }
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: p.tty,
      // the primary gid is a supplementary group too, as dockerd and containerd send it
      user: {
        uid: p.uid,
        gid: p.gid,
        additionalGids: [p.gid, ...p.groups.filter((g) => g !== p.gid)],
      },
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
      ...(u ? { uidMappings: u.uidMappings, gidMappings: u.gidMappings } : {}),
      cgroupsPath: inp.cgroupsPath,
      // the limits as runc would apply them; the device rules are the security settings'
      resources: {
        ...limitsToOci((c.resources ?? {}) as ResourceLimits),
        devices: sec.linux.deviceRules,
      },
      devices: sec.linux.devices,
      maskedPaths: sec.linux.maskedPaths,
      readonlyPaths: sec.linux.readonlyPaths,
      sysctl: sec.linux.sysctl,
      ...(sec.linux.seccomp ? { seccomp: sec.linux.seccomp } : {}),
    },
  };
}
