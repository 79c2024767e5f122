/**
 * `commitContainer`: make a new image from a container, as `docker commit`
 * does — the container's upper dir becomes one gzip layer on top of its
 * image (deterministic tar: committing twice gives the same layer digest),
 * the container's config (command, env, workdir, user) with `--change`
 * instructions applied becomes the image config, a history entry is
 * appended and `rootfs.diff_ids` extended. A running container is paused
 * (SIGSTOP of its processes) while its upper dir is read, unless asked not to.
 * Needs root (reading `trusted.*` xattrs, unpacking the new layer).
 * @module
 */

import { ImageError } from "../errors.ts";
import type { Paths } from "../paths.ts";
import { applyChanges } from "../image/changes.ts";
import { formatReference, parseReference } from "../image/reference.ts";
import { ImageStore } from "../image/store.ts";
import type { ImageConfig, OciImageConfig } from "../image/types.ts";
import { layerMediaType, writeLayerBlob } from "../image/layer_blob.ts";
import { mergeEnv } from "./process.ts";
import type { ContainerRecord } from "./store.ts";
import { isRunning } from "./live.ts";
import { withContainerPaused } from "./pause.ts";

/** Options of `commitContainer`. */
export interface CommitOptions {
  /** `-m`: the history comment (and the config's `comment`). */
  message?: string;
  /** `-a`: the author. */
  author?: string;
  /** `-c`: Dockerfile instructions applied to the config. */
  changes?: string[];
  /** Pause a running container while reading its files (default true). */
  pause?: boolean;
  /** `REPO[:TAG]` to tag the new image with. */
  name?: string;
  /** Fixed creation time (tests); default now. */
  created?: string;
}

/** What was made. */
export interface CommitResult {
  id: string;
  layerDigest: string;
  diffId: string;
}

/**
 * Mount points of the files tsbox generates for every container: their
 * stubs live in the upper dir but are never part of the container's changes
 * (docker keeps them in a separate init layer).
 */
export const GENERATED_FILES: ReadonlySet<string> = new Set([
  "etc/hosts",
  "etc/hostname",
  "etc/resolv.conf",
]);

/**
 * Commit `rec` into the store.
 * @throws {UsageError} bad `--change` or name (before anything is written).
 * @throws {ImageError} the container's image is gone, or its files cannot be represented.
 */
export async function commitContainer(
  paths: Paths,
  rec: ContainerRecord,
  opts: CommitOptions = {},
): Promise<CommitResult> {
  const name = opts.name ? formatReference(parseReference(opts.name)) : undefined;
  const store = new ImageStore(paths);
  const base = store.record(rec.config.image.id);
  if (!base) {
    throw new ImageError(
      `the image of container ${rec.config.name} (${rec.config.image.id}) is no longer in the store`,
    );
  }
  const baseConfig = store.configOf(base.id);
  const config = applyChanges(containerConfig(rec, baseConfig.config ?? {}), opts.changes ?? []);
  const upper = `${rec.dir}/upper`;
  try {
    const read = () => writeLayerBlob(store, upper, GENERATED_FILES);
    const layer = opts.pause !== false && isRunning(rec)
      ? await withContainerPaused(rec, read)
      : await read();
    const created = opts.created ?? new Date().toISOString();
    const doc: OciImageConfig = {
      ...baseConfig,
      created,
      author: opts.author ?? undefined,
      comment: opts.message || undefined,
      config,
      rootfs: { type: "layers", diff_ids: [...baseConfig.rootfs.diff_ids, layer.diffId] },
      history: [
        ...baseHistory(baseConfig),
        {
          created,
          ...(opts.author ? { author: opts.author } : {}),
          created_by: rec.config.process.args.join(" "),
          ...(opts.message ? { comment: opts.message } : {}),
        },
      ],
    };
    if (!opts.author) delete doc.author;
    if (!opts.message) delete doc.comment;
    delete doc.container; // docker's legacy field names the committing container; not kept
    const image = await store.commitImage({
      config: new TextEncoder().encode(JSON.stringify(doc)),
      layers: [
        ...base.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
        { digest: layer.digest, mediaType: layerMediaType(base.layers), size: layer.size },
      ],
      names: name ? [name] : [],
    });
    store.close();
    return { id: image.id, layerDigest: layer.digest, diffId: layer.diffId };
  } catch (err) {
    await store.discardUncommitted();
    throw err;
  }
}

/** The base image's history, padded to one entry per layer when it has fewer. */
function baseHistory(cfg: OciImageConfig): NonNullable<OciImageConfig["history"]> {
  const h = [...(cfg.history ?? [])];
  const withLayer = h.filter((e) => !e.empty_layer).length;
  const missing = cfg.rootfs.diff_ids.length - withLayer;
  for (let i = 0; i < missing; i++) h.unshift(cfg.created ? { created: cfg.created } : {});
  return h;
}

/**
 * The container's effective config, docker-style: the image config with
 * the run's command, entrypoint, env, workdir and user.
 */
function containerConfig(rec: ContainerRecord, img: ImageConfig): ImageConfig {
  const spec = rec.config.spec;
  const c: ImageConfig = structuredClone(img);
  if (spec.entrypoint !== undefined) {
    c.Entrypoint = spec.entrypoint === "" ? null : [spec.entrypoint];
    if (!spec.cmd.length) c.Cmd = null;
  }
  if (spec.cmd.length) c.Cmd = [...spec.cmd];
  const resolved = spec.env.map((e) =>
    e.includes("=") ? e : rec.config.process.env.find((p) => p.startsWith(`${e}=`)) ?? e
  ).filter((e) => e.includes("="));
  if (resolved.length) c.Env = mergeEnv(img.Env ?? [], resolved);
  if (spec.workdir) c.WorkingDir = spec.workdir;
  if (spec.user) c.User = spec.user;
  return c;
}
