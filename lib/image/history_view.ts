/**
 * `history`: the rows docker prints for an image's history, newest first —
 * the image id on the top row (`<missing>` below), age, the command that
 * made the step, the size of its layer (0B for a config-only step) and the
 * comment. Pure over the image config and record.
 * @module
 */

import type { ImageRecord, OciImageConfig } from "./types.ts";

/** One history row as `--format` sees it (docker's field names). */
export interface HistoryRow {
  ID: string;
  CreatedAt: string;
  CreatedSince?: string;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

/**
 * The rows of `config.history`, newest first; an image without history gets
 * one row per layer. Non-empty entries take the layers' sizes in order.
 */
export function historyRows(record: ImageRecord, config: OciImageConfig): HistoryRow[] {
  const hist = config.history?.length
    ? config.history
    : record.layers.map(() => ({ created: config.created, created_by: "", comment: "" }));
  let layer = 0;
  const rows = hist.map((h): HistoryRow => {
    const empty = "empty_layer" in h && h.empty_layer === true;
    const size = empty ? 0 : record.layers[layer++]?.tarSize ?? 0;
    return {
      ID: "<missing>",
      CreatedAt: h.created ?? "",
      CreatedBy: h.created_by ?? "",
      Size: size,
      Comment: h.comment ?? "",
    };
  });
  rows.reverse();
  if (rows.length) rows[0].ID = record.id;
  return rows;
}

/** docker's truncation of CREATED BY: 45 characters, the last one `…`. */
export function truncateCommand(s: string, n = 45): string {
  const chars = [...s];
  return chars.length > n ? `${chars.slice(0, n - 1).join("")}…` : s;
}
