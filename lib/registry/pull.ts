/**
 * `pullImage`: fetch an image from its registry into the image store, as
 * `docker pull` does — resolve the manifest (choosing the platform from an
 * index), fetch and verify the config, download layers in parallel (at most
 * three at a time), each unpacked while it downloads on a pool of worker
 * threads started as soon as the manifest is known, then commit the image
 * under its name. Needs write access to the state root and network access
 * to the registry.
 * @module
 */

import { ImageError } from "../errors.ts";
import type { Paths } from "../paths.ts";
import {
  familiarName,
  formatReference,
  parseReference,
  type Reference,
} from "../image/reference.ts";
import { ImageStore } from "../image/store.ts";
import { UnpackPool } from "../image/unpack_pool.ts";
import type { OciImageConfig, ResolvedImage } from "../image/types.ts";
import { fetchSmallBlob, TransferError } from "./blob_download.ts";
import { parseImageConfig } from "../image/config.ts";
import { RegistryClient } from "./client.ts";
import { loadCredentials } from "./credentials.ts";
import { endpointFor, INSECURE_ENV, parseInsecureList } from "./endpoint.ts";
import { type Descriptor, LAYER_TYPES, parseManifest } from "./manifest.ts";
import {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  selectPlatform,
} from "./platform.ts";
import { type OutputStream, type ProgressMode, PullProgress } from "./progress.ts";
import { pullLayers } from "./pull_layers.ts";
import type { RetryPolicy } from "./retry.ts";

/** Options of `pullImage`. */
export interface PullOptions {
  /** Print nothing (the CLI then prints only the name). */
  quiet?: boolean;
  /** `auto`: redrawn lines on a terminal, plain lines otherwise; `none`: summary only. */
  progress?: "auto" | "plain" | "none";
  /** Extra hosts allowed over plain HTTP (added to `TSBOX_INSECURE_REGISTRIES`). */
  insecureRegistries?: string[];
  /** `os/arch[/variant]` to pull instead of the host's. */
  platform?: string;
  /** Where progress goes (default stderr, right for `run`; `pull` uses stdout). */
  output?: OutputStream;
  /** Parallel layer downloads (default 3). */
  concurrency?: number;
  /** Retry policy override (tests use short waits). */
  retry?: RetryPolicy;
}

/**
 * Pull `ref` (`busybox`, `host:5000/repo:tag`, `repo@sha256:…`) into the store.
 * @returns the stored image, as the run path needs it.
 * @throws {UsageError} invalid reference or platform (exit 125, nothing changed).
 * @throws {ImageError} registry, auth, platform or verification failures.
 */
export async function pullImage(
  paths: Paths,
  ref: string,
  opts: PullOptions = {},
): Promise<ResolvedImage> {
  // validate everything the user typed before the first request
  const reference = parseReference(ref);
  const wanted = opts.platform ? parsePlatform(opts.platform) : undefined;
  const insecure = [
    ...parseInsecureList(Deno.env.get(INSECURE_ENV)),
    ...(opts.insecureRegistries ?? []),
  ];
  const out = opts.output ?? Deno.stderr;
  const progress = new PullProgress(out, progressMode(opts, out));
  const name = formatReference(reference);
  const shown = familiarName(reference);

  const store = new ImageStore(paths);
  const client = new RegistryClient(endpointFor(reference.domain, insecure), reference.path, {
    credentials: loadCredentials(paths, reference.domain),
    retry: opts.retry,
    onRetry: (what, _err, _n, delay) =>
      progress.note(`${what}: retrying in ${Math.ceil(delay / 1000)}s`),
  });

  const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !lastPart.includes("@")) {
    progress.note(`Using default tag: ${reference.tag}`);
  }
  progress.note(`${reference.tag ?? reference.digest}: Pulling from ${reference.path}`);
  const concurrency = opts.concurrency ?? 3;
  // one worker per core at most (the pool adds the second only for layers of many small files)
  const pool = new UnpackPool(Math.min(concurrency, navigator.hardwareConcurrency || 1));
  try {
    const { manifest, topDigest } = await resolveManifest(client, reference, shown, wanted);
    // something to download: the workers load while the config comes
    if (manifest.layers.some((l) => !store.hasBlob(l.digest))) pool.start();
    for (const l of manifest.layers) {
      if (!LAYER_TYPES.has(l.mediaType)) {
        throw new ImageError(
          `unsupported layer media type "${l.mediaType}" in ${shown} (${l.digest})`,
        );
      }
    }
    const image = await fetchLayersAndCommit(store, client, manifest, topDigest, {
      paths,
      name,
      shown,
      wanted,
      progress,
      concurrency,
      pool,
    });
    progress.summary(`Digest: ${topDigest}`);
    const upToDate = image.before?.id === image.image.id;
    progress.summary(
      `Status: ${upToDate ? "Image is up to date" : "Downloaded newer image"} for ${shown}`,
    );
    return image.image;
  } finally {
    pool.close();
  }
}

/** What `fetchLayersAndCommit` needs besides the store, the client and the manifest. */
interface CommitContext {
  paths: Paths;
  name: string;
  shown: string;
  wanted: ReturnType<typeof parsePlatform> | undefined;
  progress: PullProgress;
  concurrency: number;
  pool: UnpackPool;
}

/**
 * Fetch the config, make every layer present and unpacked, record the image.
 * @returns the image, and the one the name pointed at before.
 */
async function fetchLayersAndCommit(
  store: ImageStore,
  client: RegistryClient,
  manifest: { config: Descriptor; layers: Descriptor[] },
  topDigest: string,
  c: CommitContext,
): Promise<{ image: ResolvedImage; before: ResolvedImage | undefined }> {
  const before = store.lookup(c.name);
  try {
    const configBytes = await fetchSmallBlob(client, manifest.config);
    const config = parseImageConfig(configBytes, manifest.config.digest);
    checkPlatform(config, c.wanted, c.shown, c.progress);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new ImageError(
        `image ${c.shown} is inconsistent: ${manifest.layers.length} layers but ${diffIds.length} diff ids in its config`,
      );
    }
    try {
      await pullLayers(client, store, manifest.layers, diffIds, {
        lockDir: c.paths.locks,
        concurrency: c.concurrency,
        progress: c.progress,
        pool: c.pool,
      });
    } finally {
      c.progress.finish();
    }
    const image = await store.commitImage({
      config: configBytes,
      layers: manifest.layers.map((l) => ({
        digest: l.digest,
        mediaType: l.mediaType,
        size: l.size,
      })),
      manifestDigest: topDigest,
      names: [c.name],
    });
    store.close();
    return { image, before };
  } catch (err) {
    // network trouble: keep finished layers (and partial files) for the next pull, like docker;
    // anything else (corrupt or inconsistent content, auth): leave the store as it was
    if (err instanceof TransferError) store.close();
    else await store.discardUncommitted();
    throw err;
  }
}

/** Fetch the manifest; for an index, pick the platform and fetch that manifest. */
async function resolveManifest(
  client: RegistryClient,
  ref: Reference,
  shown: string,
  wanted: ReturnType<typeof parsePlatform> | undefined,
): Promise<{ manifest: { config: Descriptor; layers: Descriptor[] }; topDigest: string }> {
  const top = await client.getManifest(ref.digest ?? ref.tag!, shown);
  const parsed = parseManifest(top.bytes, top.contentType, shown);
  if (parsed.kind === "image") return { manifest: parsed, topDigest: top.digest };
  const entry = selectPlatform(parsed.manifests, wanted ?? hostPlatform(), shown);
  const child = await client.getManifest(
    entry.digest,
    `${shown} (${formatPlatform(entry.platform!)})`,
  );
  const inner = parseManifest(child.bytes, child.contentType, shown);
  if (inner.kind !== "image") {
    throw new ImageError(`index for ${shown} points at another index (${entry.digest})`);
  }
  return { manifest: inner, topDigest: top.digest };
}

/** A single-platform image must match `--platform`; without it, warn like docker on a mismatch. */
function checkPlatform(
  config: OciImageConfig,
  wanted: ReturnType<typeof parsePlatform> | undefined,
  shown: string,
  progress: PullProgress,
): void {
  if (!config.os || !config.architecture) return;
  const actual = normalizePlatform({
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
  });
  const want = wanted ?? hostPlatform();
  if (platformMatches(actual, want)) return;
  if (wanted) {
    throw new ImageError(
      `image with reference ${shown} was found but does not match the specified platform: wanted ${
        formatPlatform(want)
      }, actual: ${formatPlatform(actual)}`,
    );
  }
  progress.summary(
    `WARNING: The requested image's platform (${
      formatPlatform(actual)
    }) does not match the detected host platform (${formatPlatform(want)})`,
  );
}

function progressMode(opts: PullOptions, out: OutputStream): ProgressMode {
  if (opts.quiet) return "quiet";
  if (opts.progress === "none") return "none";
  if (opts.progress === "plain") return "plain";
  return out.isTerminal() ? "tty" : "plain";
}
