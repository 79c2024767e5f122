/**
 * `image inspect`: the docker-shaped JSON description of an image.
 * @module
 */

import type { ImageStore } from "./store.ts";
import { readTags, tagsOf } from "./repositories.ts";
import { familiarName, parseReference } from "./reference.ts";
import { noSuchImage } from "./store.ts";

/**
 * Docker's ImageInspect fields for `ref`.
 * @throws {ImageError} no such image. @throws {UsageError} bad reference.
 */
export function inspectImage(store: ImageStore, ref: string): Record<string, unknown> {
  const record = store.record(ref);
  if (!record) throw noSuchImage(ref);
  const config = store.configOf(record.id);
  const dirs = record.layers.map((l) => store.layout.layer(l.diffId));
  return {
    Id: record.id,
    RepoTags: tagsOf(readTags(store.layout), record.id).map((t) => familiarName(parseReference(t))),
    RepoDigests: record.repoDigests.map((d) => familiarName(parseReference(d))),
    Parent: "",
    Comment: config.comment ?? "",
    Created: config.created ?? "",
    Author: config.author ?? "",
    Config: config.config ?? {},
    Architecture: config.architecture ?? "",
    Variant: config.variant,
    Os: config.os ?? "",
    Size: record.layers.reduce((s, l) => s + l.tarSize, 0),
    GraphDriver: {
      Name: "overlay",
      Data: { LowerDir: [...dirs].reverse().join(":") },
    },
    RootFS: { Type: "layers", Layers: record.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: record.added },
  };
}
