/**
 * Execute CNI invocations: spawn the plugin with the CNI_* environment and
 * its config on stdin, read the result JSON from stdout, and turn the
 * spec's error JSON (`code`, `msg`, `details`) into a `NetworkError`.
 * Requires root (plugins create interfaces and iptables rules).
 * @module
 */

import { NetworkError } from "../errors.ts";
import type { CniInvocation } from "./cni_plan.ts";
import { findPlugin, requirePlugins } from "./plugins.ts";
import { spawnOutput } from "../spawn_output.ts";

/** A plugin that runs longer than this is killed (a hung plugin must not hang tsbox). */
const PLUGIN_TIMEOUT_MS = 60_000;

/** Error JSON of the CNI spec. */
interface CniErrorJson {
  code?: number;
  msg?: string;
  details?: string;
}

/**
 * Run one plugin. Returns its parsed stdout (`{}` when empty, as for DEL).
 * @throws {NetworkError} plugin missing, failed (with its `msg`/`details`), timed out, or bad JSON.
 */
export async function execPlugin(
  inv: CniInvocation,
  cniPath: string[],
): Promise<Record<string, unknown>> {
  requirePlugins([inv.plugin], cniPath);
  const bin = findPlugin(inv.plugin, cniPath)!;
  const out = await spawnOutput(bin, [], {
    env: inv.env,
    clearEnv: true,
    stdin: new TextEncoder().encode(JSON.stringify(inv.config)),
    timeoutMs: PLUGIN_TIMEOUT_MS,
  });
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  const what = `CNI plugin ${inv.plugin} ${inv.command}`;
  if (out.timedOut) {
    throw new NetworkError(`${what} timed out after ${PLUGIN_TIMEOUT_MS / 1000}s`, { op: "cni" });
  }
  if (out.code !== 0) {
    let e: CniErrorJson = {};
    try {
      e = JSON.parse(stdout) as CniErrorJson;
    } catch (err) {
      // a crashing plugin may print no JSON; fall back to its raw output
      if (!(err instanceof SyntaxError)) throw err;
    }
    const msg = [e.msg, e.details].filter((s) => s).join(": ") || stdout || stderr ||
      `exit code ${out.code}`;
    throw new NetworkError(
      `${what} failed: ${msg}${e.code !== undefined ? ` (code ${e.code})` : ""}`,
      {
        op: "cni",
      },
    );
  }
  if (stdout === "") return {};
  try {
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    throw new NetworkError(`${what} printed invalid JSON`, { op: "cni", cause: err });
  }
}

/**
 * Run an ADD sequence, chaining each result into the next plugin's
 * `prevResult`. Returns the final result. Stops at the first failure.
 * @throws {NetworkError} from the failing plugin.
 */
export async function runAdd(
  invs: CniInvocation[],
  cniPath: string[],
): Promise<Record<string, unknown>> {
  let prev: Record<string, unknown> | undefined;
  for (const inv of invs) {
    const config = prev ? { ...inv.config, prevResult: prev } : inv.config;
    const res = await execPlugin({ ...inv, config }, cniPath);
    // a plugin may suppress the result; keep the previous one then
    prev = Object.keys(res).length ? res : prev;
  }
  return prev ?? {};
}

/**
 * Run DEL (or CHECK) invocations. DEL goes on past failures — the plugins'
 * DEL is idempotent and the remaining plugins still own resources — and
 * returns every error; CHECK stops at the first.
 */
export async function runAll(
  invs: CniInvocation[],
  cniPath: string[],
): Promise<{ plugin: string; error: NetworkError }[]> {
  const errors: { plugin: string; error: NetworkError }[] = [];
  for (const inv of invs) {
    try {
      await execPlugin(inv, cniPath);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      errors.push({ plugin: inv.plugin, error: err });
      if (inv.command !== "DEL") break;
    }
  }
  return errors;
}
