/**
 * `create`'s work: spawn the init for a bundle and take it to the start
 * gate. The same init and handshake as `tsbox run` (lib/init/main.ts), in
 * runc mode: no parent-death signal (create exits, the caller — shim,
 * conmon — is the subreaper), the caller's stdio is the container's,
 * prestart/createRuntime hooks between "ns" and "ns-done", the pty master
 * to --console-socket, then "go": the init blocks on exec.fifo until `start`.
 * @module
 */

import { isAbsolute, join } from "node:path";
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
import { spawnInNewPidNs, spawnInPidNsAt } from "../container/pidns.ts";
import { pidStartTime } from "../container/proc.ts";
import { kill } from "../../ffi/process.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import { runHooks } from "../oci/hooks.ts";
import { ociState, type RuntimeRecord } from "./store.ts";
import { cgroupPathOf, createCgroup } from "./cgroup.ts";
import { S_IFIFO } from "../../ffi/consts.ts";
import { type ContainerCgroup, openCgroups } from "../cgroup/mod.ts";
import { cgroupViewMounts } from "../cgroup/mounts.ts";

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
  child: Deno.ChildProcess;
  cgroup: ContainerCgroup;
}

/** The init's error as the user should read it (docker/podman match the phrases). */
function initFailure(m: { message: string }): TsboxError {
  return new TsboxError(
    `runc create failed: unable to start container process: ${m.message.replace(/^tsbox: /, "")}`,
    { exitCode: 1 },
  );
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
  const dir = ctx.store.dir(id);
  Deno.mkdirSync(ctx.store.root, { recursive: true, mode: 0o700 });
  try {
    Deno.mkdirSync(dir, { mode: 0o711 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new TsboxError(`container with id exists: ${id}`, { exitCode: 1 });
    }
    throw err;
  }
  let child: Deno.ChildProcess | undefined;
  let cgroup: ContainerCgroup | undefined;
  const [parentEnd, childEnd] = seqpacketPair();
  setCloexec(parentEnd);
  try {
    ctx.kernel.mknod(ctx.store.fifo(id), S_IFIFO | 0o622, 0n);
    cgroup = createCgroup(spec, id);
    const record: RuntimeRecord = {
      id,
      bundle: req.bundle,
      rootfs,
      created: new Date().toISOString(),
      pid: 0,
      spec,
      cgroupsPath: cgroupPathOf(spec, id),
      started: false,
      owner: "",
    };
    const init: InitSpec = {
      id,
      spec: { ...spec, root: { ...spec.root!, path: rootfs } },
      bundle: req.bundle,
      copyUps: [],
      cgroupMounts: cgroupViewMounts(openCgroups().version, cgroup),
      seccomp: spec.linux?.seccomp && cachedSeccomp(ctx.paths, spec.linux.seccomp),
      supervised: false,
      startGate: ctx.store.fifo(id),
      holdAfterNs: true,
      preserveFds: req.preserveFds,
    };
    const cmd = new Deno.Command(ctx.self[0], {
      args: [...ctx.self.slice(1), "__init"],
      env: { [INIT_FD_ENV]: String(childEnd) },
      cwd: req.bundle,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    });
    const pidNs = (spec.linux?.namespaces ?? []).find((n) => n.type === "pid");
    child = !pidNs
      ? cmd.spawn()
      : pidNs.path
      ? spawnInPidNsAt(ctx.kernel, pidNs.path, () => cmd.spawn())
      : spawnInNewPidNs(ctx.kernel, () => cmd.spawn());
    closeFd(childEnd);
    const pid = child.pid;
    record.pid = pid;
    record.pidStartTime = pidStartTime(pid);
    sendMsg(parentEnd, encodeMsg({ type: "spec", spec: init }));
    for (;;) {
      const { fd, data } = await recvFd(parentEnd);
      const msg = decodeMsg<FromInit>(data);
      if (!msg) throw new TsboxError("runc create failed: container init exited", { exitCode: 1 });
      if (msg.type === "error") throw initFailure(msg);
      if (msg.type === "ns") {
        ctx.store.write(record);
        const state = ociState(record, "creating");
        await runHooks("prestart", spec.hooks?.prestart, state);
        await runHooks("createRuntime", spec.hooks?.createRuntime, state);
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
        cgroup.addProcess(pid);
        ctx.store.write(record);
        if (req.pidFile) Deno.writeTextFileSync(req.pidFile, String(pid));
        sendMsg(parentEnd, encodeMsg({ type: "go" }));
        const launched = { record, child, cgroup };
        child = undefined; // from here on the container exists: delete removes it
        return launched;
      }
    }
  } catch (err) {
    if (child) {
      kill(child.pid, 9);
      await child.status;
    }
    await cgroup?.destroy();
    Deno.removeSync(dir, { recursive: true }); // our own dir: a state file and the fifo, no mounts
    throw err;
  } finally {
    closeFd(parentEnd);
  }
}
