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
import { memfdWithText, waitChildSync } from "../../ffi/spawn.ts";
import { closeFd } from "../../ffi/fds.ts";

function failed(kind: string, h: Hook, why: string): TsboxError {
  return new TsboxError(`error running ${kind} hook #${h.path}: ${why}`, { exitCode: 1 });
}

/**
 * Run `hooks` in order with `state` on stdin; the first failure throws.
 * @throws {TsboxError} a hook exited non-zero, timed out or could not start.
 */
export async function runHooks(
  kind: string,
  hooks: Hook[] | undefined,
  state: unknown,
): Promise<void> {
  for (const h of hooks ?? []) {
    const cmd = new Deno.Command(h.path, {
      args: (h.args ?? [h.path]).slice(1),
      env: Object.fromEntries((h.env ?? []).map((e) => {
        const i = e.indexOf("=");
        return [e.slice(0, i), e.slice(i + 1)];
      })),
      clearEnv: true,
      stdin: "piped",
      stdout: "inherit",
      stderr: "piped",
    });
    let child: Deno.ChildProcess;
    try {
      child = cmd.spawn();
    } catch (err) {
      throw failed(kind, h, err instanceof Error ? err.message : String(err));
    }
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify(state))).catch(() => {
      // a hook that does not read stdin closes it: EPIPE is fine
    });
    await w.close().catch(() => {
      // same: the hook may have exited already
    });
    const timer = h.timeout ? setTimeout(() => child.kill("SIGKILL"), h.timeout * 1000) : undefined;
    const out = await child.output();
    clearTimeout(timer);
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim();
      const why = out.signal ? `killed by ${out.signal}` : `exit status ${out.code}`;
      throw failed(kind, h, err ? `${why}, stderr: ${err}` : why);
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
