/**
 * `container prune`: remove every container that is not running (created
 * or exited, as the kernel sees it), plus directories a crashed `rm` left.
 * Anonymous volumes stay (docker's prune leaves them to `volume prune`).
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { treeSize } from "../../volumes/size.ts";
import { type ContainerRecord, listContainers } from "./store.ts";
import { liveView } from "./live.ts";
import { removeContainer, sweepTrash } from "./remove.ts";
import { NoSuchContainer } from "./lookup.ts";
import { ContainerError } from "../errors.ts";

/** What was pruned. */
export interface PruneResult {
  deleted: string[];
  /** Bytes of the removed writable layers. */
  reclaimed: number;
}

/**
 * Remove all stopped containers (of those `select` accepts, when given:
 * `--filter`). Requires root.
 */
export async function pruneContainers(
  ctx: CliContext,
  select?: (rec: ContainerRecord) => boolean,
): Promise<PruneResult> {
  sweepTrash(ctx);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const rec of listContainers(ctx.paths)) {
    const v = liveView(rec);
    if (v.running || v.starting || v.status === "removing") continue;
    if (select && !select(rec)) continue; // prune --filter: what it does not select is kept
    const size = treeSize(`${rec.dir}/upper`);
    try {
      await removeContainer(ctx, rec, { force: false, volumes: false });
    } catch (err) {
      // started or removed by someone else since we listed it: not ours to prune
      if (err instanceof NoSuchContainer || err instanceof ContainerError && err.exitCode === 1) {
        continue;
      }
      throw err;
    }
    deleted.push(rec.config.id);
    reclaimed += size;
  }
  return { deleted, reclaimed };
}
