/**
 * `update --resources FILE|- ID` (dockerd sends JSON on stdin; zeros mean
 * "unchanged") and runc's single-value flags (`--memory`, `--pids-limit`, …).
 * @module
 */

import type { RuncCommand } from "./context.ts";
import { parseFlags, str } from "../cli/flags.ts";
import { TsboxError } from "../errors.ts";
import { alive, validateId } from "./store.ts";
import { openCgroup } from "./cgroup.ts";
import { mergeLimits, ociResources } from "../cgroup/mod.ts";
import type { LinuxResources } from "../oci/spec.ts";

async function readAll(file: string): Promise<string> {
  if (file !== "-") return await Deno.readTextFile(file);
  return await new Response(Deno.stdin.readable).text();
}

/** `update`. */
export const update: RuncCommand = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "resources", short: "r", type: "string" },
    { name: "memory", type: "string" },
    { name: "memory-swap", type: "string" },
    { name: "pids-limit", type: "string" },
    { name: "cpu-shares", type: "string" },
    { name: "cpu-quota", type: "string" },
    { name: "cpu-period", type: "string" },
    { name: "cpuset-cpus", type: "string" },
    { name: "cpuset-mems", type: "string" },
  ]);
  const r = ctx.store.get(validateId(p.positionals[0]));
  if (!alive(r)) throw new TsboxError("container not running", { exitCode: 1 });
  const cg = openCgroup(r.cgroupsPath);
  if (!cg) throw new TsboxError("container has no cgroup", { exitCode: 1 });
  let res: LinuxResources = {};
  const file = str(p, "resources");
  if (file) {
    try {
      res = JSON.parse(await readAll(file));
    } catch (err) {
      throw new TsboxError(`update: invalid resources JSON: ${(err as Error).message}`, {
        exitCode: 1,
      });
    }
  }
  const num = (k: string) => (str(p, k) === undefined ? undefined : Number(str(p, k)));
  if (num("memory") !== undefined) res.memory = { ...res.memory, limit: num("memory") };
  if (num("memory-swap") !== undefined) res.memory = { ...res.memory, swap: num("memory-swap") };
  if (num("pids-limit") !== undefined) res.pids = { limit: num("pids-limit")! };
  const cpu = { ...res.cpu };
  if (num("cpu-shares") !== undefined) cpu.shares = num("cpu-shares");
  if (num("cpu-quota") !== undefined) cpu.quota = num("cpu-quota");
  if (num("cpu-period") !== undefined) cpu.period = num("cpu-period");
  if (str(p, "cpuset-cpus") !== undefined) cpu.cpus = str(p, "cpuset-cpus");
  if (str(p, "cpuset-mems") !== undefined) cpu.mems = str(p, "cpuset-mems");
  res.cpu = cpu;
  const base = ociResources(r.spec.linux?.resources);
  const next = mergeLimits(base, ociResources(res));
  cg.update(next);
  const merged = { ...r.spec.linux?.resources, ...res };
  ctx.store.write({ ...r, spec: { ...r.spec, linux: { ...r.spec.linux, resources: merged } } });
  return 0;
};
