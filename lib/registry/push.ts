/**
 * `pushImage`: send a stored image to its registry, as `docker push` does —
 * upload the layer blobs (at most three at a time; present ones skipped,
 * ones known in another repository of the registry mounted), then the
 * config, then PUT the manifest (Docker schema 2 when the layers carry
 * Docker media types, OCI otherwise) under the tag, and record the pushed
 * repo digest in the store. Needs read access to the state root (write for
 * the repo digest) and network access to the registry.
 * @module
 */

import { ImageError, UsageError } from "../errors.ts";
import type { Paths } from "../paths.ts";
import { familiarName, formatReference, parseReference } from "../image/reference.ts";
import { ImageStore } from "../image/store.ts";
import type { ImageRecord } from "../image/types.ts";
import { readHead, sniffCompression } from "../image/decompress.ts";
import { readRecords } from "../image/gc.ts";
import { RegistryClient } from "./client.ts";
import { loadCredentials } from "./credentials.ts";
import { endpointFor, INSECURE_ENV, parseInsecureList } from "./endpoint.ts";
import { sha256Hex } from "./http_util.ts";
import {
  type Descriptor,
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_MANIFEST,
} from "./manifest.ts";
import { formatPlatform, normalizePlatform, parsePlatform, platformMatches } from "./platform.ts";
import { type OutputStream, PullProgress } from "./progress.ts";
import { runBounded } from "./pool.ts";
import { uploadBlob } from "./blob_upload.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";

/** Options of `pushImage`. */
export interface PushOptions {
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Only push if the image is of this platform (`os/arch[/variant]`). */
  platform?: string;
  /** Extra hosts allowed over plain HTTP. */
  insecureRegistries?: string[];
  /** Where progress goes (default stdout). */
  output?: OutputStream;
  /** Bytes per PATCH of a chunked upload (smaller blobs go up in one PUT). */
  chunkSize?: number;
  /** Parallel blob uploads (default 3). */
  concurrency?: number;
  /** Retry policy override. */
  retry?: RetryPolicy;
  /** Part of `push --all-tags` (no "Using default tag" line). */
  allTags?: boolean;
}

/** What was pushed. */
export interface PushResult {
  tag: string;
  digest: string;
  size: number;
}

/**
 * Push `ref` (`host:5000/repo[:tag]`) from the store.
 * @throws {UsageError} invalid reference or platform.
 * @throws {ImageError} no such local image, registry/auth failures.
 */
export async function pushImage(
  paths: Paths,
  ref: string,
  opts: PushOptions = {},
): Promise<PushResult> {
  const reference = parseReference(ref);
  if (reference.digest) {
    throw new UsageError(`cannot push a digest reference: "${ref}"`, {
      hint: "push a tag (tsbox tag IMAGE NAME:TAG first)",
    });
  }
  const wanted = opts.platform ? parsePlatform(opts.platform) : undefined;
  const name = formatReference(reference);
  const shown = familiarName(reference);
  const tag = reference.tag ?? "latest";
  const store = new ImageStore(paths);
  const record = store.record(name);
  if (!record) {
    throw new ImageError(`An image does not exist locally with the tag: ${shown}`);
  }
  const config = store.configOf(record.id);
  if (wanted && config.os && config.architecture) {
    const actual = normalizePlatform({
      os: config.os,
      architecture: config.architecture,
      variant: config.variant,
    });
    if (!platformMatches(actual, wanted)) {
      throw new ImageError(
        `image ${shown} is ${formatPlatform(actual)}, not the requested platform ${
          formatPlatform(wanted)
        }`,
      );
    }
  }
  const plan = planManifest(store, record);
  const mounts = mountSources(paths, reference.domain, reference.path, record);
  const insecure = [
    ...parseInsecureList(Deno.env.get(INSECURE_ENV)),
    ...(opts.insecureRegistries ?? []),
  ];
  const out = opts.output ?? Deno.stdout;
  const progress = new PullProgress(
    out,
    opts.quiet ? "quiet" : out.isTerminal() ? "tty" : "plain",
  );
  const client = new RegistryClient(endpointFor(reference.domain, insecure), reference.path, {
    credentials: loadCredentials(paths, reference.domain),
    retry: opts.retry,
    push: true,
    mountFrom: [...new Set(mounts.values())],
    onRetry: (what, _e, _n, delay) =>
      progress.note(`${what}: retrying in ${Math.ceil(delay / 1000)}s`),
  });
  const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !opts.allTags) progress.note(`Using default tag: ${tag}`);
  progress.note(`The push refers to repository [${reference.domain}/${reference.path}]`);
  try {
    const layers = [...plan.layers].reverse(); // docker lists the top layer first
    for (const l of layers) progress.status(l.digest, "Preparing", l.size);
    for (const l of layers) progress.status(l.digest, "Waiting");
    await runBounded(layers, opts.concurrency ?? 3, async (l) => {
      const from = mounts.get(l.digest);
      const r = await uploadBlob(client, store.blobPath(l.digest), l, {
        chunkSize: opts.chunkSize,
        mountFrom: from,
        onProgress: (done) => progress.bytes(l.digest, done, "Pushing"),
        onRetry: (_e, _n, delay) =>
          progress.status(l.digest, `Retrying in ${Math.ceil(delay / 1000)} seconds`),
      });
      progress.status(
        l.digest,
        r.status === "exists"
          ? "Layer already exists"
          : r.status === "mounted"
          ? `Mounted from ${r.from}`
          : "Pushed",
      );
    });
    await uploadBlob(client, store.blobPath(record.id), plan.config, { chunkSize: opts.chunkSize });
    await putManifest(client, tag, plan.mediaType, plan.bytes);
  } catch (err) {
    throw client.unreachable(err);
  } finally {
    progress.finish();
  }
  const digest = `sha256:${sha256Hex(plan.bytes)}`;
  progress.summary(`${tag}: digest: ${digest} size: ${plan.bytes.length}`);
  await store.commitImage({
    config: Deno.readFileSync(store.blobPath(record.id)),
    layers: record.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
    manifestDigest: digest,
    names: [name],
  });
  store.close();
  return { tag, digest, size: plan.bytes.length };
}

/**
 * The tags of `repo` (a reference without tag) in the store, sorted — what `push --all-tags` pushes.
 * @throws {UsageError} the reference has a tag or digest.
 */
export function repositoryTags(paths: Paths, repo: string): string[] {
  const r = parseReference(repo);
  const lastPart = repo.slice(repo.lastIndexOf("/") + 1);
  if (lastPart.includes(":") || r.digest) {
    throw new UsageError("tag can't be used with --all-tags/-a");
  }
  const want = `${r.domain}/${r.path}`;
  const tags = new ImageStore(paths).list().flatMap((s) => s.tags)
    .filter((t) => t.slice(0, t.lastIndexOf(":")) === want);
  return [...new Set(tags)].sort();
}

/** The manifest to push, with its media type and descriptors. */
interface ManifestPlan {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  bytes: Uint8Array;
}

const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_TAR = "application/vnd.oci.image.layer.v1.tar";

/**
 * Docker schema 2 when every layer is a Docker type (or an untyped gzip
 * from a docker-archive), OCI otherwise (OCI types, zstd or plain tars).
 */
function planManifest(store: ImageStore, record: ImageRecord): ManifestPlan {
  const typed = record.layers.map((l) => {
    if (l.mediaType) return l.mediaType;
    const c = sniffCompression(readHead(store.blobPath(l.digest)));
    return c === "gzip" ? DOCKER_LAYER : c === "zstd" ? `${OCI_TAR}+zstd` : OCI_TAR;
  });
  const docker = typed.every((t) => t.startsWith("application/vnd.docker."));
  const layers = record.layers.map((l, i) => ({
    mediaType: docker
      ? typed[i]
      : typed[i].startsWith("application/vnd.docker.")
      ? dockerToOci(typed[i])
      : typed[i],
    size: l.size,
    digest: l.digest,
  }));
  const config = {
    mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG,
    size: record.configSize,
    digest: record.id,
  };
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const doc = { schemaVersion: 2, mediaType, config, layers };
  return {
    mediaType,
    config,
    layers,
    bytes: new TextEncoder().encode(JSON.stringify(doc, null, 3)),
  };
}

function dockerToOci(t: string): string {
  if (t.endsWith(".tar.gzip")) return `${OCI_TAR}+gzip`;
  if (t.endsWith(".tar.zstd")) return `${OCI_TAR}+zstd`;
  return OCI_TAR;
}

/**
 * Layer digest → another repository of the same registry that holds it
 * (from the repo digests of stored images), for cross-repository mounts.
 */
function mountSources(
  paths: Paths,
  domain: string,
  repo: string,
  record: ImageRecord,
): Map<string, string> {
  const wanted = new Set(record.layers.map((l) => l.digest));
  const out = new Map<string, string>();
  for (const r of readRecords(new ImageStore(paths).layout)) {
    for (const rd of r.repoDigests) {
      const at = parseReference(rd);
      if (at.domain !== domain || at.path === repo) continue;
      for (const l of r.layers) {
        if (wanted.has(l.digest) && !out.has(l.digest)) out.set(l.digest, at.path);
      }
    }
  }
  return out;
}

async function putManifest(
  client: RegistryClient,
  tag: string,
  mediaType: string,
  bytes: Uint8Array,
): Promise<void> {
  await withRetry(client.retryPolicy, async () => {
    const res = await client.request(`/v2/${client.repo}/manifests/${tag}`, {
      method: "PUT",
      headers: { "content-type": mediaType },
      body: bytes,
    });
    if (res.status !== 201 && res.status !== 200) {
      await client.throwUnlessOk(res, `manifest ${tag}`);
      throw new ImageError(`manifest ${tag}: ${client.endpoint.domain} answered ${res.status}`);
    }
    const served = res.headers.get("docker-content-digest");
    await res.body?.cancel();
    const digest = `sha256:${sha256Hex(bytes)}`;
    if (served && served !== digest) {
      throw new ImageError(`manifest ${tag}: registry stored ${served}, expected ${digest}`);
    }
  });
}
