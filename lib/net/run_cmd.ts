/**
 * Run a host tool (`ip`, `iptables`) and get its output, or a
 * `NetworkError` naming the command and its stderr.
 * @module
 */

import { NetworkError } from "../errors.ts";
import { PLUGIN_PATH } from "./cni_plan.ts";

/** Result of a finished command. */
export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd args…` and return its result whatever the exit code. */
export async function runCmd(cmd: string, args: string[]): Promise<CmdResult> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { PATH: PLUGIN_PATH },
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetworkError(`${cmd} not found`, {
        op: cmd,
        hint: "install iproute2 and iptables",
      });
    }
    throw err;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr).trim() };
}

/**
 * Run `cmd args…`, returning stdout.
 * @throws {NetworkError} when it exits non-zero.
 */
export async function runOk(cmd: string, args: string[]): Promise<string> {
  const r = await runCmd(cmd, args);
  if (r.code !== 0) {
    throw new NetworkError(`${cmd} ${args.join(" ")}: ${r.stderr || `exit code ${r.code}`}`, {
      op: cmd,
    });
  }
  return r.stdout;
}
