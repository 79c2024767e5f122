/**
 * Sizes docker shows for `ps -s` and `inspect -s`: the writable layer
 * (SizeRw, the upper dir) and the whole root filesystem (SizeRootFs: the
 * writable layer plus the image's layers). Reads only.
 * @module
 */

import type { Paths } from "../paths.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/store.ts";
import { treeSize } from "../../volumes/size.ts";
import type { ContainerRecord } from "./store.ts";

/** Bytes of each image by id (unpacked layer tars), 0 for a removed image. */
export function imageSizes(paths: Paths): Map<string, number> {
  const store = new ImageStore(paths);
  try {
    return new Map(store.list().map((i) => [i.id, i.size]));
  } catch (err) {
    // an unreadable image store: sizes are unknown, not fatal for ps/inspect
    if (!(err instanceof ImageError)) throw err;
    return new Map();
  } finally {
    store.close();
  }
}

/** `{ rw, rootFs }` of a container, in bytes. */
export function containerSize(
  rec: ContainerRecord,
  images: Map<string, number>,
): { rw: number; rootFs: number } {
  const rw = treeSize(`${rec.dir}/upper`);
  return { rw, rootFs: rw + (images.get(rec.config.image.id) ?? 0) };
}
