/**
 * The init as a process of ours, however it was started: spawned directly
 * by Deno (in a new or joined PID namespace), or forked by the user
 * namespace stage (init_stage.ts) and reparented to us. One handle for its
 * pid, signals and exit status, and the parent's half of the "userns" step
 * of the handshake: write the id maps, hand over idmapped image layers.
 * @module
 */

import type { Kernel } from "../kernel.ts";
import type { LinuxIDMapping, LinuxNamespace, Mount } from "../oci/spec.ts";
import { type InitStage, initStage } from "./init_stage.ts";
import { spawnInNewPidNs, spawnInPidNsAt } from "./pidns.ts";
import { becomeSubreaper, spawnWithStdio, waitChild, type WaitStatus } from "../../ffi/spawn.ts";
import { kill } from "../../ffi/process.ts";
import { closeFd, sendFd, sendMsg } from "../../ffi/fds.ts";
import { openNsFd } from "../../ffi/ns.ts";
import { SyscallError, TsboxError } from "../errors.ts";
import { NO_IDMAP_ERRNOS, shiftedCopy } from "../userns/shifted_copy.ts";
import { encodeMsg, type ToInit } from "./init_spec.ts";
import { IDMAP_OPTIONS } from "../init/oci_mounts.ts";
import { isAbsolute, join } from "../posix_path.ts";

/** How the init ended. */
export interface InitStatus {
  code: number;
  /** The signal that killed it. */
  signal?: number;
}

/** What to run: the init's own argv (tsbox re-executed) and its stdio. */
export interface InitCommand {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  stdin: "null" | "inherit" | "piped";
  stdout: "null" | "inherit" | "piped";
  stderr: "null" | "inherit" | "piped";
}

/**
 * A process spawned by spawnWithStdio: its pid, our ends of its pipes, and
 * its exit status, waited for on first ask (so a process nobody waits for,
 * as runc mode's init, keeps nothing of ours pending).
 */
class SpawnedProcess {
  #ends: (number | undefined)[];
  #in?: WritableStream<Uint8Array>;
  #status?: Promise<WaitStatus>;

  constructor(readonly pid: number, ends: (number | undefined)[]) {
    this.#ends = ends;
  }

  /** Our read end of its piped fd 1 or 2, now the caller's to read and close. */
  takeOutput(fd: 1 | 2): number {
    const end = this.#ends[fd];
    if (end === undefined) throw new TypeError(`the init's fd ${fd} is not piped`);
    this.#ends[fd] = undefined;
    return end;
  }

  /** Its piped stdin, as a stream (reopened through /proc: Deno cannot adopt an fd). */
  get stdin(): WritableStream<Uint8Array> {
    if (!this.#in) {
      const end = this.#ends[0];
      if (end === undefined) throw new TypeError("the init's stdin is not piped");
      // opened while we still hold the write end: a pipe with no reader would block the open
      const file = Deno.openSync(`/proc/self/fd/${end}`, { write: true });
      closeFd(end);
      this.#ends[0] = undefined;
      this.#in = file.writable;
    }
    return this.#in;
  }

  /** How it ended (it is reaped then). */
  status(): Promise<WaitStatus> {
    return this.#status ??= waitChild(this.pid);
  }

  /** Close the ends nobody took (an init stopped before its output was pumped). */
  release(): void {
    for (const [fd, end] of this.#ends.entries()) {
      if (end !== undefined) closeFd(end);
      this.#ends[fd] = undefined;
    }
  }
}

/** A started init. */
export class InitChild {
  /** The init's pid (known at once, or from its "userns" message behind a forking stage). */
  pid?: number;

  constructor(readonly child: SpawnedProcess, readonly stage: InitStage) {
    if (!stage.forks) this.pid = child.pid;
  }

  /**
   * Our read end of the piped stdout (1) or stderr (2) of our direct child
   * (the init inherits them through the stage): the caller reads it and closes it.
   */
  takeOutput(fd: 1 | 2): number {
    return this.child.takeOutput(fd);
  }
  /** The piped stdin. */
  get stdin(): WritableStream<Uint8Array> {
    return this.child.stdin;
  }

  /**
   * The init reported `pid`: after the stage exited (so it is reparented
   * to us) check that it really is our child.
   * @throws {TsboxError} the stage failed or the pid is not our child.
   */
  async adopt(pid: number): Promise<void> {
    if (!this.stage.forks) {
      if (pid !== this.child.pid) throw new TsboxError(`init reported pid ${pid}, not its own`);
      return;
    }
    const st = await this.child.status();
    if (st.code !== 0) throw new TsboxError(`user namespace stage failed (${describe(st)})`);
    const ppid = /^PPid:\s*(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    if (Number(ppid) !== Deno.pid) throw new TsboxError(`init pid ${pid} is not our child`);
    this.pid = pid;
  }

  /** Close our ends of its pipes that were not taken (it is being stopped). */
  release(): void {
    this.child.release();
  }

  /** Send `sig` to the init (or, before its pid is known, to the stage). */
  kill(sig: number): boolean {
    return kill(this.pid ?? this.child.pid, sig);
  }

  /** Wait for the init to exit. */
  async status(): Promise<InitStatus> {
    const st = await this.child.status();
    if (!this.stage.forks) return initStatus(st);
    // the init never reported (it failed in Deno's start-up or the stage failed)
    if (this.pid === undefined) return { code: initStatus(st).code || 125 };
    return initStatus(await waitChild(this.pid));
  }

  /** Stop it (SIGKILL), close the pipe ends nobody took, and wait for it. */
  async stop(): Promise<InitStatus> {
    this.kill(9);
    this.release();
    return await this.status();
  }
}

/** A wait status as the init's: 128+N when killed by signal N. */
function initStatus(w: WaitStatus): InitStatus {
  return w.signal !== undefined ? { code: 128 + w.signal, signal: w.signal } : { code: w.code };
}

function describe(st: WaitStatus): string {
  return st.signal !== undefined ? `signal ${st.signal}` : `exit ${st.code}`;
}

/**
 * Start the init for `namespaces`: behind the user namespace stage when
 * there is a user namespace, else directly in a new or joined PID namespace
 * (or the caller's, when the spec has none).
 */
export function spawnInit(
  kernel: Kernel,
  namespaces: LinuxNamespace[],
  cmd: InitCommand,
  rootless = false,
): InitChild {
  const stage = initStage(namespaces, rootless);
  const argv = [...stage.prefix, ...cmd.argv];
  if (!isAbsolute(argv[0])) throw new TsboxError(`cannot start ${argv[0]}: not an absolute path`);
  const env = Object.entries({ ...Deno.env.toObject(), ...cmd.env }).map(([k, v]) => `${k}=${v}`);
  const spawn = () => {
    const { pid, ends } = spawnWithStdio(argv[0], argv, env, [
      cmd.stdin,
      cmd.stdout,
      cmd.stderr,
    ], cmd.cwd);
    return new SpawnedProcess(pid, ends);
  };
  if (stage.userns) {
    if (stage.forks) becomeSubreaper();
    return new InitChild(spawn(), stage);
  }
  const pidNs = namespaces.find((n) => n.type === "pid");
  const child = !pidNs
    ? spawn()
    : pidNs.path
    ? spawnInPidNsAt(kernel, pidNs.path, spawn)
    : spawnInNewPidNs(kernel, spawn);
  return new InitChild(child, stage);
}

/** "c h s" lines of OCI id mappings. */
export function idMapText(maps: LinuxIDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/**
 * The parent's half of the "userns" step: for a new user namespace write
 * its gid_map and uid_map (as root: any host ids), then hand the init one
 * idmapped mount per image layer (BOTTOM first) — or, where the kernel
 * cannot, a copy with shifted owners at `opts.copyTo(i)` — then "userns-done".
 * @returns how the layers are shown.
 * @throws {TsboxError|SyscallError} a map is refused, or the kernel or
 *   filesystem cannot idmap a layer.
 */
export function completeUserns(
  kernel: Kernel,
  sock: number,
  init: InitChild,
  maps: { uid: LinuxIDMapping[]; gid: LinuxIDMapping[] },
  layerDirs: string[],
  mounts: Mount[] = [],
  bundle = "/",
  opts: {
    /** Where layer `i`'s shifted copy goes (the overlay's lower path): enables the fallback. */
    copyTo?: (i: number) => string;
    /** Copy even where idmapping works (TSBOX_IDMAP=copy). */
    copyLayers?: boolean;
  } = {},
): "idmapped" | "chowned copy" {
  const pid = init.pid!;
  if (init.stage.newUserns) {
    if (!maps.uid.length || !maps.gid.length) {
      throw new TsboxError("a new user namespace needs linux.uidMappings and linux.gidMappings");
    }
    kernel.writeFile(`/proc/${pid}/gid_map`, idMapText(maps.gid));
    kernel.writeFile(`/proc/${pid}/uid_map`, idMapText(maps.uid));
  }
  const binds = mounts.flatMap((m, index) =>
    m.options?.some((o) => IDMAP_OPTIONS.includes(o))
      ? [{ index, source: isAbsolute(m.source ?? "") ? m.source! : join(bundle, m.source ?? "") }]
      : []
  );
  let layers: "idmapped" | "chowned copy" = "idmapped";
  if (layerDirs.length || binds.length) {
    const userns = openNsFd(`/proc/${pid}/ns/user`);
    const give = (path: string, msg: ToInit) => {
      const fd = kernel.idmappedTree(path, userns);
      try {
        sendFd(sock, fd, encodeMsg(msg));
      } finally {
        closeFd(fd);
      }
    };
    try {
      for (const [i, dir] of layerDirs.entries()) {
        if (layers === "idmapped" && !opts.copyLayers) {
          try {
            give(dir, { type: "lower" });
            continue;
          } catch (err) {
            // the kernel or filesystem cannot: copies with shifted owners, from this layer on
            if (!(err instanceof SyscallError && NO_IDMAP_ERRNOS.includes(err.errnoName))) {
              throw err;
            }
            if (!opts.copyTo) throw err;
          }
        }
        layers = "chowned copy";
        shiftedCopy(dir, opts.copyTo!(i), maps);
        sendMsg(sock, encodeMsg({ type: "lower" })); // no fd: the copy is at the overlay's path
      }
      for (const b of binds) give(b.source, { type: "idmapped", index: b.index });
    } finally {
      closeFd(userns);
    }
  }
  sendMsg(sock, encodeMsg({ type: "userns-done" }));
  return layers;
}
