/**
 * `pause ID` / `resume ID`: the freezer (v1 freezer.state, v2 cgroup.freeze).
 * @module
 */

import type { RuncCommand } from "./context.ts";
import { parseFlags } from "../cli/flags.ts";
import { TsboxError } from "../errors.ts";
import { statusOf, validateId } from "./store.ts";
import { openCgroup } from "./cgroup.ts";

function target(args: string[], ctx: Parameters<RuncCommand>[1]) {
  const r = ctx.store.get(validateId(parseFlags(args, []).positionals[0]));
  const cg = openCgroup(r.cgroupsPath);
  if (!cg) throw new TsboxError("container has no cgroup", { exitCode: 1 });
  return { r, cg };
}

/** `pause ID`. */
export const pause: RuncCommand = async (args, ctx) => {
  const { r, cg } = target(args, ctx);
  const status = statusOf(r, cg.frozen());
  if (status !== "running") throw new TsboxError(`container not running`, { exitCode: 1 });
  await cg.freeze();
  ctx.store.write({ ...r, paused: true });
  return 0;
};

/** `resume ID`. */
export const resume: RuncCommand = (args, ctx) => {
  const { r, cg } = target(args, ctx);
  if (statusOf(r, cg.frozen()) !== "paused") {
    throw new TsboxError(`container not paused`, { exitCode: 1 });
  }
  cg.thaw();
  ctx.store.write({ ...r, paused: false });
  return Promise.resolve(0);
};
