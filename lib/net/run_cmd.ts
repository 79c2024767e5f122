/**
 * Run a host tool (`ip`, `iptables`) and get its output, or a
 * `NetworkError` naming the command and its stderr. Spawned with
 * posix_spawn and raw pipes (lib/spawn_output.ts), not Deno.Command: the
 * first Deno.Command of a process loads Deno's process module and streams
 * (~15 ms of cold code), and a bridged start's runtime runs one
 * `iptables-save` on its way.
 * @module
 */

import { NetworkError, SyscallError } from "../errors.ts";
import { PLUGIN_PATH } from "./cni_plan.ts";
import { findPlugin } from "./plugins.ts";
import { type SpawnOutput, spawnOutput } from "../spawn_output.ts";

/** Result of a finished command. */
export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `cmd args…` (with `input` on its stdin) and return its result whatever the exit code.
 * `cmd` is looked up on PLUGIN_PATH (a path with a slash is taken as it is).
 * @throws {NetworkError} `cmd` is not installed.
 */
export async function runCmd(cmd: string, args: string[], input?: string): Promise<CmdResult> {
  const exe = cmd.includes("/") ? cmd : findPlugin(cmd, PLUGIN_PATH.split(":"));
  const notFound = () =>
    new NetworkError(`${cmd} not found`, { op: cmd, hint: "install iproute2 and iptables" });
  if (exe === undefined) throw notFound();
  let out: SpawnOutput;
  try {
    out = await spawnOutput(exe, args, {
      env: { PATH: PLUGIN_PATH },
      stdin: input === undefined ? undefined : new TextEncoder().encode(input),
    });
  } catch (err) {
    if (err instanceof SyscallError && err.errnoName === "ENOENT") throw notFound();
    throw err;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr).trim() };
}

/**
 * Run `cmd args…`, returning stdout.
 * @throws {NetworkError} when it exits non-zero.
 */
export async function runOk(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runCmd(cmd, args, input);
  if (r.code !== 0) {
    throw new NetworkError(`${cmd} ${args.join(" ")}: ${r.stderr || `exit code ${r.code}`}`, {
      op: cmd,
    });
  }
  return r.stdout;
}
