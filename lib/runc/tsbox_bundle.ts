/**
 * `tsbox-runc create` of a tsbox container's own bundle (what conmon calls
 * for `tsbox run -d`): the bundle's config.json names the container and
 * its state root in annotations (start_steps.ts writes them), and create
 * then does what tsbox's own start does beside the OCI spec — the cgroup
 * from the record's limits, the overlay root, volume copy-up, idmapped
 * layers, the network attach at "ns" — from the record in that root, and
 * records the init's pid and conmon (its caller) as the supervisor.
 * Loaded only for such a bundle.
 * @module
 */

import { recordEvent, recordVolumeMounts } from "../container/events.ts";
import type { RuncContext } from "./context.ts";
import type { Spec } from "../oci/spec.ts";
import { ContainerError, exitCodeOf, formatError, TsboxError } from "../errors.ts";
import { updateState } from "../container/lock.ts";
import type { LiveState } from "../container/live.ts";
import { pidStartTime } from "../container/proc.ts";
import { containerDir, pathsFor } from "../paths.ts";
import { readContainer } from "../container/store.ts";
import { CONTAINER_ANNOTATION, ROOT_ANNOTATION } from "../container/bundle_annotations.ts";
import {
  attachAtNs,
  completeContainerUserns,
  createContainerCgroup,
  type InitExtras,
  initExtras,
} from "../container/start_steps.ts";
import { type StartError, writeStartError } from "../container/conmon_files.ts";
import type { CgroupDriver, ContainerCgroup, ResourceLimits } from "../cgroup/mod.ts";
import type { InitChild } from "../container/init_child.ts";
import { detachContainer } from "../net/mod.ts";

/** A tsbox container's bundle, recognised: tsbox's start steps for it. */
export interface TsboxBundle {
  /** Its cgroup, with the record's limits. @throws {CgroupError} */
  createCgroup(cgroups: CgroupDriver): ContainerCgroup;
  /** The record's limits (which controllers the init may join early). */
  limits: ResourceLimits;
  /** What the init gets beside the spec; it starts once our caller (conmon) is its parent. */
  extras(spec: Spec, cgroups: CgroupDriver, cgroup: ContainerCgroup): Promise<
    InitExtras & {
      supervisor: { pid: number; runtimePid: number };
    }
  >;
  /** The "userns" step: the record's maps, idmapped image layers. */
  completeUserns(sock: number, init: InitChild, spec: Spec): Promise<void>;
  /** The "ns" step: attach the network of init `pid` (bridge mode). @throws {NetworkError} */
  attach(pid: number): Promise<void>;
  /**
   * "ready": record the init's pid and our caller, conmon, as the
   * supervisor in state.json, unless the start is no longer pending (removed).
   * @throws {ContainerError} the container was removed or started by someone else.
   */
  ready(pid: number, startTime: number | undefined): Promise<void>;
  /** After a failed create: undo an attach, leave the error for the CLI and exit command. */
  failed(err: unknown, initError?: StartError): Promise<void>;
}

/** Resolve symlinks of `p`; undefined when it does not exist. */
function real(p: string): string | undefined {
  try {
    return Deno.realPathSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // compared by the caller
    throw err;
  }
}

/**
 * The tsbox container whose bundle `bundle` is, when its spec says so and
 * the claim holds: the runtime id and the annotation agree, and the bundle
 * is that container's directory in that root with its record. Anything
 * else (containerd's, podman's bundles, a tsbox spec copied elsewhere)
 * gives undefined: an ordinary bundle.
 */
export function openTsboxBundle(
  ctx: RuncContext,
  id: string,
  bundle: string,
  spec: Spec,
): TsboxBundle | undefined {
  const claimed = spec.annotations?.[CONTAINER_ANNOTATION];
  const root = spec.annotations?.[ROOT_ANNOTATION] ?? "";
  // a copy of a tsbox spec elsewhere (or under another id) is an ordinary bundle
  if (claimed !== id || !root.startsWith("/")) return undefined;
  const paths = pathsFor(root);
  const dir = containerDir(paths, id);
  if (real(dir) === undefined || real(dir) !== real(bundle)) return undefined;
  const rec = readContainer(paths, id);
  if (!rec) return undefined; // removed meanwhile: the bundle dir went with it
  const bad = (why: string) =>
    new TsboxError(`tsbox container ${id.slice(0, 12)}: ${why}`, { exitCode: 1 });
  const config = rec.config;
  const sctx = { paths, kernel: ctx.kernel };
  return {
    limits: config.resources as ResourceLimits,
    createCgroup: (cgroups) => {
      const cg = createContainerCgroup(sctx, cgroups, config);
      if (!cg) throw bad("it has no cgroup (rootless)");
      return cg;
    },
    extras: async (s, cgroups, cgroup) => ({
      ...(await initExtras(sctx, config, s, cgroups, cgroup)),
      supervisor: { pid: Deno.ppid, runtimePid: Deno.pid },
    }),
    completeUserns: (sock, init, s) => completeContainerUserns(sctx, sock, init, config, s),
    attach: async (pid) => {
      await attachAtNs(sctx, config, pid);
    },
    ready: async (pid, startTime) => {
      let held = false;
      await updateState(paths, id, (r) => {
        const st = r.state as LiveState;
        if (st.status !== "running" || st.pid !== 0) return undefined; // not a pending start
        held = true;
        return {
          ...st,
          pid,
          pidStartTime: startTime,
          monitorPid: Deno.ppid,
          monitorStartTime: pidStartTime(Deno.ppid),
          supervisor: "conmon",
        };
      });
      if (!held) {
        throw new ContainerError(`container ${id.slice(0, 12)} is no longer being started`);
      }
      recordVolumeMounts(paths, "mount", config); // docker's order: mounts, then start
      recordEvent(paths, "start", config);
    },
    failed: async (err, initError) => {
      await detachContainer(paths, id, ctx.kernel);
      writeStartError(
        dir,
        initError ?? {
          message: formatError(err).replace(/^tsbox: /, ""),
          code: exitCodeOf(err),
        },
      );
    },
  };
}
