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

/** Run `cmd args…` (with `input` on its stdin) and return its result whatever the exit code. */
export async function runCmd(cmd: string, args: string[], input?: string): Promise<CmdResult> {
  let out: Deno.CommandOutput;
  try {
    const child = new Deno.Command(cmd, {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      env: { PATH: PLUGIN_PATH },
    }).spawn();
    if (input !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(input)).catch(() => {}); // it exited early: its code says why
      await w.close().catch(() => {});
    }
    out = await child.output();
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
export async function runOk(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runCmd(cmd, args, input);
  if (r.code !== 0) {
    throw new NetworkError(`${cmd} ${args.join(" ")}: ${r.stderr || `exit code ${r.code}`}`, {
      op: cmd,
    });
  }
  return r.stdout;
}
