/**
 * What a container's state really is: `state.json` says what tsbox last
 * wrote, the kernel says what is alive. A recorded pid counts only while
 * the same process (pid + start time) exists, so a container whose
 * monitor or foreground tsbox was SIGKILLed shows as exited, never as a
 * ghost "running".
 * @module
 */

import type { ContainerState } from "./types.ts";
import type { ContainerRecord, Remover } from "./store.ts";
import { isSameProcess } from "./proc.ts";
import { conmonPidFile } from "./conmon_files.ts";

/** state.json as the lifecycle code writes it (extra fields beside `ContainerState`). */
export interface LiveState extends ContainerState {
  /** Start time of `monitorPid` (pid reuse check). */
  monitorStartTime?: number;
  /**
   * `conmon`: the run is (or was last) supervised by conmon — `monitorPid`
   * is conmon's, the log is k8s-file; absent: tsbox's own monitor or a
   * foreground tsbox, json-file log.
   */
  supervisor?: "conmon";
}

/** Exit code shown when the supervisor died before recording one (moby uses 255 too). */
export const UNKNOWN_EXIT = 255;

/** The state as the kernel confirms it. */
export interface LiveView {
  /** `removing`: its remover is alive; `dead`: its remover died (rm -f or prune retries). */
  status: "created" | "running" | "exited" | "removing" | "dead";
  /** PID 1 of the container is alive. */
  running: boolean;
  /** Being started: the supervisor is alive but PID 1 does not exist yet. */
  starting: boolean;
  /** Host pid of PID 1 (0 unless running). */
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt?: string;
  finishedAt?: string;
}

/** True when the supervising tsbox process (monitor or foreground run) is alive. */
export function monitorAlive(state: LiveState): boolean {
  return !!state.monitorPid && isSameProcess(state.monitorPid, state.monitorStartTime);
}

/**
 * A start handed to conmon whose CLI died before create recorded the pids:
 * the conmon named by this run's pid file (conmon_files.ts) is alive.
 */
function conmonStarting(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(Deno.readTextFileSync(conmonPidFile(dir)).trim());
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // not a conmon start, or not yet
    throw err;
  }
  if (!isSameProcess(pid, undefined)) return false;
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "conmon";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // exited meanwhile
    throw err;
  }
}

/** True while the process that renamed a container for removal is alive. */
export function removerAlive(remover: Remover): boolean {
  return isSameProcess(remover.pid, remover.startTime);
}

/** The live view of a container. Reads /proc only; writes nothing. */
export function liveView(rec: ContainerRecord): LiveView {
  const s = rec.state as LiveState;
  const base = {
    pid: 0,
    exitCode: s.exitCode ?? 0,
    oomKilled: s.oomKilled ?? false,
    error: s.error ?? "",
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    running: false,
    starting: false,
  };
  if (rec.remover) return { ...base, status: removerAlive(rec.remover) ? "removing" : "dead" };
  // the marker of an older tsbox, which recorded no remover: retried like a dead one
  if (s.status === "removing") return { ...base, status: "dead" };
  if (s.status === "running") {
    if (s.pid > 0 && isSameProcess(s.pid, s.pidStartTime)) {
      return { ...base, status: "running", running: true, pid: s.pid };
    }
    if (s.pid === 0 && (monitorAlive(s) || conmonStarting(rec.dir))) {
      return { ...base, status: "created", starting: true };
    }
    // the supervisor died without recording the exit (SIGKILL, OOM of tsbox itself)
    return {
      ...base,
      status: "exited",
      exitCode: s.exitCode ?? UNKNOWN_EXIT,
      error: s.error ?? "tsbox supervisor exited before the container",
      finishedAt: s.finishedAt ?? s.startedAt,
    };
  }
  return { ...base, status: s.status };
}

/** True when the container's PID 1 is alive. */
export function isRunning(rec: ContainerRecord): boolean {
  return liveView(rec).running;
}
