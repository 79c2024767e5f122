/**
 * `container prune`: remove every container that is not running (created
 * or exited, as the kernel sees it), every removal whose remover died, and
 * every broken record (by id). Anonymous volumes stay (docker's prune
 * leaves them to `volume prune`).
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { treeSize } from "../../volumes/size.ts";
import { type ContainerRecord, scanContainers } from "./store.ts";
import { liveView, removerAlive } from "./live.ts";
import { removeBroken, removeContainer } from "./remove.ts";
import { NoSuchContainer } from "./lookup.ts";
import { ContainerError } from "../errors.ts";
import { sweepStaging } from "./create.ts";

/** What was pruned. */
export interface PruneResult {
  deleted: string[];
  /** Bytes of the removed writable layers. */
  reclaimed: number;
}

/** True for the errors of a container someone else started or removed since we listed it. */
function notOurs(err: unknown): boolean {
  return err instanceof NoSuchContainer || err instanceof ContainerError && err.exitCode === 1;
}

/**
 * Remove all stopped containers (of those `select` accepts, when given:
 * `--filter`; a corrupt record is only pruned without a filter). Requires root.
 */
export async function pruneContainers(
  ctx: CliContext,
  select?: (rec: ContainerRecord) => boolean,
): Promise<PruneResult> {
  await sweepStaging(ctx);
  const deleted: string[] = [];
  let reclaimed = 0;
  const { records, broken } = scanContainers(ctx.paths);
  for (const rec of records) {
    const v = liveView(rec);
    if (v.running || v.starting || v.status === "removing") continue;
    if (select && !select(rec)) continue; // prune --filter: what it does not select is kept
    const size = treeSize(`${rec.dir}/upper`);
    try {
      await removeContainer(ctx, rec, { force: false, volumes: false });
    } catch (err) {
      if (notOurs(err)) continue;
      throw err;
    }
    deleted.push(rec.config.id);
    reclaimed += size;
  }
  for (const b of select ? [] : broken) {
    if (b.remover && removerAlive(b.remover)) continue;
    const size = treeSize(`${b.dir}/upper`);
    try {
      await removeBroken(ctx, b, false);
    } catch (err) {
      if (notOurs(err)) continue;
      throw err;
    }
    deleted.push(b.id);
    reclaimed += size;
  }
  return { deleted, reclaimed };
}
