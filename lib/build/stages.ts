/**
 * A parsed Dockerfile as build stages: the ARGs before the first FROM
 * (usable in FROM lines), then one stage per FROM (`AS name`), and the
 * stages the target needs (its FROM chain and `COPY --from` sources), as
 * BuildKit builds only those. Pure.
 * @module
 */

import { BuildError } from "./errors.ts";
import type { Dockerfile, Instruction } from "./parse.ts";

/** One stage. */
export interface Stage {
  index: number;
  /** `AS name`, lower-cased (docker's stage names are case-insensitive). */
  name?: string;
  from: Instruction;
  body: Instruction[];
}

/** The stages of a Dockerfile. */
export interface StagePlan {
  metaArgs: Instruction[];
  stages: Stage[];
}

/**
 * Split `df` into stages.
 * @throws {BuildError} an instruction before the first FROM (other than
 * ARG), a malformed FROM, a duplicate stage name.
 */
export function splitStages(df: Dockerfile, file: string): StagePlan {
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of df.instructions) {
    if (ins.cmd === "FROM") {
      const words = ins.rest.split(/\s+/);
      let name: string | undefined;
      if (words.length === 3 && words[1].toUpperCase() === "AS") name = words[2].toLowerCase();
      else if (words.length !== 1) {
        throw new BuildError(`${file}:${ins.line}: FROM requires either one or three arguments`);
      }
      if (name !== undefined) {
        if (!/^[a-z][a-z0-9_.-]*$/.test(name)) {
          throw new BuildError(`${file}:${ins.line}: invalid name for build stage: "${words[2]}"`);
        }
        if (stages.some((s) => s.name === name)) {
          throw new BuildError(`${file}:${ins.line}: duplicate stage name "${name}"`);
        }
      }
      stages.push({ index: stages.length, name, from: ins, body: [] });
    } else if (!stages.length) {
      if (ins.cmd !== "ARG") {
        throw new BuildError(`${file}:${ins.line}: no build stage in current context`);
      }
      metaArgs.push(ins);
    } else stages[stages.length - 1].body.push(ins);
  }
  if (!stages.length) throw new BuildError(`${file}: no build stage in current context`);
  return { metaArgs, stages };
}

/** The stage called (or numbered) `ref` among the stages before `before`. */
export function findStage(stages: Stage[], ref: string, before = stages.length): Stage | undefined {
  const earlier = stages.slice(0, before);
  if (/^\d+$/.test(ref)) return earlier[Number(ref)];
  return earlier.find((s) => s.name === ref.toLowerCase());
}

/**
 * The stages to build for `target` (default the last), in file order.
 * @throws {BuildError} no such target.
 */
export function neededStages(plan: StagePlan, target: string | undefined, file: string): Stage[] {
  const last = target === undefined
    ? plan.stages[plan.stages.length - 1]
    : plan.stages.find((s) => s.name === target.toLowerCase());
  if (!last) throw new BuildError(`${file}: target stage "${target}" could not be found`);
  const need = new Set<number>();
  const visit = (s: Stage) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const base = findStage(plan.stages, s.from.rest.split(/\s+/)[0], s.index);
    if (base) visit(base);
    for (const ins of s.body) {
      const from = (ins.cmd === "COPY" || ins.cmd === "ADD") ? ins.flags.from : undefined;
      const dep = from === undefined ? undefined : findStage(plan.stages, from, s.index);
      if (dep) visit(dep);
    }
  };
  visit(last);
  return plan.stages.filter((s) => need.has(s.index));
}
