/**
 * OCI hooks: a program run with the container's state JSON on stdin
 * (runtime-spec config.md#posix-platform-hooks). prestart/createRuntime/
 * poststart/poststop run in the runtime's namespaces (here, async with the
 * hook's timeout); createContainer/startContainer run inside the container's
 * namespaces, from the init's main thread (`runHookSync`).
 * @module
 */

import type { Hook } from "./spec.ts";
import { TsboxError } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import { memfdWithText, waitChildSync, waitChildTimeout } from "../../ffi/spawn.ts";
import { closeFd } from "../../ffi/fds.ts";

function failed(kind: string, h: Hook, why: string): TsboxError {
  return new TsboxError(`error running ${kind} hook #${h.path}: ${why}`, { exitCode: 1 });
}

/**
 * Run `hooks` in order with `state` on stdin; the first failure throws.
 * Spawned with posix_spawn so the hook gets its own argv[0] (dockerd's
 * libnetwork-setkey hook is `/proc/PID/exe` re-executed by that name).
 * @throws {TsboxError} a hook exited non-zero, timed out or could not start.
 */
export async function runHooks(
  kernel: Kernel,
  kind: string,
  hooks: Hook[] | undefined,
  state: unknown,
): Promise<void> {
  for (const h of hooks ?? []) {
    const fd = memfdWithText("tsbox-hook-state", JSON.stringify(state));
    let pid: number;
    try {
      pid = kernel.spawn(h.path, h.args ?? [h.path], h.env ?? [], { setsid: false, stdinFd: fd });
    } catch (err) {
      throw failed(kind, h, err instanceof Error ? err.message : String(err));
    } finally {
      closeFd(fd);
    }
    const st = await waitChildTimeout(pid, h.timeout ? h.timeout * 1000 : undefined);
    if (st === undefined) throw failed(kind, h, `timed out after ${h.timeout}s`);
    if (st.code !== 0) {
      throw failed(kind, h, st.signal ? `killed by signal ${st.signal}` : `exit status ${st.code}`);
    }
  }
}

/**
 * Run `hooks` synchronously from the calling thread (its namespaces), with
 * the state JSON `state` on stdin.
 * @throws {TsboxError} a hook failed.
 */
export function runHooksSync(
  kernel: Kernel,
  kind: string,
  hooks: Hook[] | undefined,
  state: string,
): void {
  for (const h of hooks ?? []) {
    let pid: number;
    const fd = memfdWithText("tsbox-hook-state", state);
    try {
      pid = kernel.spawn(h.path, h.args ?? [h.path], h.env ?? [], { setsid: false, stdinFd: fd });
    } catch (err) {
      throw failed(kind, h, err instanceof Error ? err.message : String(err));
    } finally {
      closeFd(fd);
    }
    const st = waitChildSync(pid);
    if (st.code !== 0) {
      throw failed(kind, h, st.signal ? `killed by signal ${st.signal}` : `exit status ${st.code}`);
    }
  }
}
