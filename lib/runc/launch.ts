/**
 * `create`'s work: spawn the init for a bundle and take it to the start
 * gate. The same init and handshake as `tsbox run` (lib/init/main.ts), in
 * runc mode: no parent-death signal (create exits, the caller — shim,
 * conmon — is the subreaper), the caller's stdio is the container's,
 * prestart/createRuntime hooks between "ns" and "ns-done", the pty master
 * to --console-socket, then "go": the init blocks on exec.fifo until `start`.
 * A tsbox container's own bundle (conmon's create for `tsbox run -d`) also
 * gets tsbox's steps: its cgroup, overlay root, copy-ups and idmapped
 * layers from the record, the network attached at "ns", its pids recorded
 * at "ready"; it has no start gate (the init starts once our caller,
 * conmon, is its parent); a failure leaves its message and exit code in
 * the container dir (conmon_files.ts).
 * @module
 */

import { isAbsolute, join } from "../posix_path.ts";
import type { RuncContext } from "./context.ts";
import type { Spec } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";
import {
  closeFd,
  connectUnix,
  recvFd,
  sendFd,
  sendMsg,
  seqpacketPair,
  setCloexec,
} from "../../ffi/fds.ts";
import {
  decodeMsg,
  encodeMsg,
  type FromInit,
  INIT_FD_ENV,
  type InitSpec,
} from "../container/init_spec.ts";
import { completeUserns, type InitChild, spawnInit } from "../container/init_child.ts";
import { initStage } from "../container/init_stage.ts";
import { entryCommand } from "../self.ts";
import { HIDDEN } from "../cli/commands.ts";
import { hostIdOf } from "../userns/maps.ts";
import { pidStartTime } from "../container/proc.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import { runHooks } from "../oci/hooks.ts";
import { ociState, type RuntimeRecord } from "./store.ts";
import { cgroupPathOf, createCgroup, specLimits } from "./cgroup.ts";
import { beginCgroupJoin } from "../cgroup/early_join.ts";
import { S_IFIFO } from "../../ffi/consts.ts";
import { type ContainerCgroup, openCgroups } from "../cgroup/mod.ts";
import { cgroupViewMounts } from "../cgroup/mounts.ts";
import type { StartError } from "../container/conmon_files.ts";
import { isTsboxBundle } from "./tsbox_bundle_check.ts";
import type { TsboxBundle } from "./tsbox_bundle.ts";
import { lazy } from "../lazy.ts";
import { trace } from "../trace.ts";

/** What `create` was asked. */
export interface LaunchRequest {
  id: string;
  bundle: string;
  spec: Spec;
  consoleSocket?: string;
  pidFile?: string;
  preserveFds: number;
}

/** The created container: its record and the init (a child of this process). */
export interface Launched {
  record: RuntimeRecord;
  child: InitChild;
  cgroup: ContainerCgroup;
}

/** The init's error as the user should read it (docker/podman match the phrases). */
function initFailure(m: { message: string }): TsboxError {
  return new TsboxError(
    `runc create failed: unable to start container process: ${withoutPrefix(m.message)}`,
    { exitCode: 1 },
  );
}

function withoutPrefix(message: string): string {
  return message.replace(/^tsbox: /, "");
}

/** Hand the pty master to the caller's console socket (one message, the name as payload). */
export function toConsoleSocket(path: string, master: number): void {
  const sock = connectUnix(path);
  try {
    sendFd(sock, master, new TextEncoder().encode("/dev/ptmx"));
  } finally {
    closeFd(sock);
    closeFd(master);
  }
}

/**
 * Create container `req.id`: state dir, start gate, cgroup, init waiting at the gate.
 * On failure everything made is undone.
 * @throws {TsboxError} exists already, invalid bundle, the init failed (exit 1).
 */
export async function launch(ctx: RuncContext, req: LaunchRequest): Promise<Launched> {
  trace("runc: launch");
  const { id, spec } = req;
  const rootfs = isAbsolute(spec.root!.path) ? spec.root!.path : join(req.bundle, spec.root!.path);
  try {
    if (!Deno.statSync(rootfs).isDirectory) throw new Error("not a directory");
  } catch (err) {
    throw new TsboxError(`rootfs (${rootfs}) does not exist or is not a directory`, {
      exitCode: 1,
      cause: err,
    });
  }
  // the init first: its runtime starts while the bundle is opened and the state dir, cgroup,
  // record and extras are made; it waits for its spec
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  let child: InitChild | undefined;
  try {
    child = spawnInit(ctx.kernel, spec.linux?.namespaces ?? [], {
      argv: [...entryCommand(ctx.self, HIDDEN.__init.module), "__init"],
      env: { [INIT_FD_ENV]: String(childEnd) },
      cwd: req.bundle,
      // with a terminal the pty is the container's stdio: the init must not keep the caller's
      // fds (containerd's shim waits for EOF on the pipe it gave `create` before calling start)
      ...(spec.process?.terminal
        ? { stdin: "null", stdout: "null", stderr: "null" }
        : { stdin: "inherit", stdout: "inherit", stderr: "inherit" }),
    });
  } catch (err) {
    closeFd(parentEnd);
    throw err;
  } finally {
    closeFd(childEnd);
  }
  let box: TsboxBundle | undefined;
  const dir = ctx.store.dir(id);
  try {
    // a tsbox container's own bundle: create also does tsbox's steps (tsbox_bundle.ts)
    box = isTsboxBundle(spec)
      ? (await lazy("runc/tsbox_bundle.ts")).openTsboxBundle(ctx, id, req.bundle, spec)
      : undefined;
    Deno.mkdirSync(ctx.store.root, { recursive: true, mode: 0o700 });
    try {
      Deno.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new TsboxError(`container with id exists: ${id}`, { exitCode: 1 });
      }
      throw err;
    }
  } catch (err) {
    // nothing of ours exists yet but the init, which has been told nothing
    closeFd(parentEnd);
    child.kill(9);
    await child.status();
    throw err;
  }
  let cgroup: ContainerCgroup | undefined;
  let initError: StartError | undefined;
  try {
    // a tsbox bundle has no start gate: it starts once its supervisor is its parent
    if (!box) {
      ctx.kernel.mknod(ctx.store.fifo(id), S_IFIFO | 0o622, 0n);
      // runc: the fifo belongs to the container's root (a remapped init reopens it as that uid)
      const rootUid = hostIdOf(spec.linux?.uidMappings ?? [], 0);
      const rootGid = hostIdOf(spec.linux?.gidMappings ?? [], 0);
      if (rootUid !== undefined && rootGid !== undefined) {
        ctx.kernel.lchown(ctx.store.fifo(id), rootUid, rootGid);
      }
    }
    const cgroups = openCgroups();
    const limits = box ? box.limits : specLimits(spec);
    cgroup = box ? box.createCgroup(cgroups) : createCgroup(spec, id, limits, cgroups);
    // behind a user namespace stage the pid comes later: joined whole at "ready"
    const cgroupJoin = child!.pid === undefined ? undefined : beginCgroupJoin(
      cgroup,
      child!.pid,
      limits,
      spec,
    );
    const record: RuntimeRecord = {
      id,
      bundle: req.bundle,
      rootfs,
      created: new Date().toISOString(),
      pid: 0,
      spec,
      cgroupsPath: cgroupPathOf(spec, id),
      started: !!box,
      owner: "",
    };
    const init: InitSpec = {
      id,
      spec: { ...spec, root: { ...spec.root!, path: rootfs } },
      bundle: req.bundle,
      ...(box ? await box.extras(spec, cgroups, cgroup) : {
        copyUps: [],
        cgroupMounts: cgroupViewMounts(cgroups.version, cgroup),
        seccomp: spec.linux?.seccomp && await cachedSeccomp(ctx.paths, spec.linux.seccomp),
      }),
      supervised: false,
      ...(box ? {} : { startGate: ctx.store.fifo(id) }),
      holdAfterNs: true,
      preserveFds: req.preserveFds,
      ...(initStage(spec.linux?.namespaces ?? []).userns ? { userns: true } : {}),
    };
    const initChild = child;
    const adopt = (pid: number) => {
      record.pid = pid;
      record.pidStartTime = pidStartTime(pid);
    };
    if (initChild.pid !== undefined) adopt(initChild.pid);
    sendMsg(parentEnd, encodeMsg({ type: "spec", spec: init }));
    for (;;) {
      const { fd, data } = await recvFd(parentEnd);
      const msg = decodeMsg<FromInit>(data);
      if (!msg) throw new TsboxError("runc create failed: container init exited", { exitCode: 1 });
      if (msg.type === "error") {
        initError = { message: withoutPrefix(msg.message), code: msg.code };
        throw initFailure(msg);
      }
      if (msg.type === "userns") {
        await initChild.adopt(msg.pid);
        adopt(msg.pid);
        if (box) await box.completeUserns(parentEnd, initChild, spec);
        else {
          const maps = { uid: spec.linux?.uidMappings ?? [], gid: spec.linux?.gidMappings ?? [] };
          completeUserns(ctx.kernel, parentEnd, initChild, maps, [], spec.mounts, req.bundle);
        }
      }
      if (msg.type === "ns") {
        if (box) await box.attach(record.pid);
        ctx.store.write(record);
        const state = ociState(record, "creating");
        await runHooks(ctx.kernel, "prestart", spec.hooks?.prestart, state);
        await runHooks(ctx.kernel, "createRuntime", spec.hooks?.createRuntime, state);
        sendMsg(
          parentEnd,
          encodeMsg({ type: "ns-done", state: JSON.stringify(ociState(record, "created")) }),
        );
      }
      if (msg.type === "ready") {
        if (msg.pty) {
          if (!req.consoleSocket) {
            closeFd(fd);
            throw new TsboxError("process.terminal is true but no --console-socket was given", {
              exitCode: 1,
            });
          }
          toConsoleSocket(req.consoleSocket, fd);
        }
        trace("runc: ready");
        if (cgroupJoin) await cgroupJoin.finish();
        else cgroup.addProcess(record.pid);
        ctx.store.write(record);
        await box?.ready(record.pid, record.pidStartTime);
        if (req.pidFile) Deno.writeTextFileSync(req.pidFile, String(record.pid));
        sendMsg(parentEnd, encodeMsg({ type: "go" }));
        const launched = { record, child, cgroup };
        child = undefined; // from here on the container exists: delete removes it
        return launched;
      }
    }
  } catch (err) {
    if (child) {
      child.kill(9);
      await child.status();
    }
    await cgroup?.destroy();
    Deno.removeSync(dir, { recursive: true }); // our own dir: a state file and the fifo, no mounts
    await box?.failed(err, initError);
    throw err;
  } finally {
    closeFd(parentEnd);
  }
}
