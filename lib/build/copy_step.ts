/**
 * The preparation of a COPY/ADD step, before the cache is asked: flags
 * checked, arguments substituted, the destination made absolute against
 * WORKDIR, sources selected (docker's "not found" and "more than one
 * source" rules), `--chown` resolved in the image, the copy planned and
 * its content digested. Reads the sources; writes nothing.
 * @module
 */

import { posix } from "node:path";
import type { Instruction } from "./parse.ts";
import { processWord, processWords } from "./words.ts";
import type { SourceTree } from "./sources.ts";
import { select } from "./sources.ts";
import { resolveOwner } from "./owner.ts";
import { contentDigest, type CopyRequest, planCopy, type PlanItem } from "./copy_layer.ts";

/** What the step reads. */
export interface CopyEnv {
  vars: Map<string, string>;
  escape: string;
  /** The stage's WORKDIR (`/` when unset). */
  workdir: string;
  /** The parent image's layer dirs, bottom first. */
  layerDirs: string[];
  /** The tree the sources come from (the context, or `--from`'s image). */
  tree: () => Promise<SourceTree>;
}

/** A prepared copy. */
export interface PreparedCopy {
  req: CopyRequest;
  plan: PlanItem[];
  /** The content digest (part of the cache key). */
  digest: string;
  /** The arguments after substitution. */
  words: string[];
}

/**
 * Prepare `ins` (COPY or ADD).
 * @throws {Error} bad flags or arguments, missing sources (the caller names the line).
 */
export async function prepareCopy(ins: Instruction, env: CopyEnv): Promise<PreparedCopy> {
  for (const f of Object.keys(ins.flags)) {
    if (!["from", "chown", "chmod"].includes(f)) throw new Error(`unknown flag: --${f}`);
  }
  const words = ins.json
    ? ins.json.map((w) => processWord(w, env.vars, env.escape))
    : processWords(ins.rest, env.vars, env.escape);
  if (words.length < 2) throw new Error(`${ins.cmd} requires at least two arguments`);
  const srcs = words.slice(0, -1);
  let dest = words[words.length - 1];
  if (!dest.startsWith("/")) {
    const abs = posix.join(env.workdir, dest);
    dest = dest.endsWith("/") && !abs.endsWith("/") ? `${abs}/` : abs;
  }
  if (ins.cmd === "ADD" && srcs.some((s) => /^[a-z]+:\/\//i.test(s))) {
    throw new Error(
      "ADD from a URL is not supported by tsbox build (it runs offline); download the file into the build context and COPY it",
    );
  }
  const tree = await env.tree();
  const sources = srcs.flatMap((s) => {
    const found = select(tree, s);
    if (!found.length) throw new Error(`"${s}": not found in the ${tree.what}`);
    return found;
  });
  if (sources.length > 1 && !dest.endsWith("/")) {
    throw new Error(
      `When using ${ins.cmd} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
  const chmod = ins.flags.chmod;
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) {
    throw new Error(`invalid --chmod=${chmod}: an octal mode is expected`);
  }
  const chown = ins.flags.chown === undefined
    ? undefined
    : resolveOwner(processWord(ins.flags.chown, env.vars, env.escape), env.layerDirs);
  const req = {
    sources,
    dest,
    chown,
    chmod: chmod === undefined ? undefined : parseInt(chmod, 8),
    extract: ins.cmd === "ADD" && ins.flags.from === undefined,
    baseLayers: env.layerDirs,
  };
  const plan = planCopy(req);
  return { req, plan, digest: await contentDigest(plan), words };
}
