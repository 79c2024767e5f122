/**
 * Image references, normalised as docker does:
 * `busybox` → `docker.io/library/busybox:latest`,
 * `host:5000/repo:tag`, `repo@sha256:<64 hex>`.
 * @module
 */

import { UsageError } from "../errors.ts";

/** A parsed, normalised reference. */
export interface Reference {
  /** Registry host[:port] (`docker.io` by default). */
  domain: string;
  /** Repository path (`library/busybox`). */
  path: string;
  /** Tag (`latest` when neither tag nor digest was given). */
  tag?: string;
  /** `sha256:…` digest. */
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Default registry. */
export const DOCKER_HUB = "docker.io";

/**
 * Parse and normalise `ref`.
 * @throws {UsageError} invalid reference format (docker's wording).
 */
export function parseReference(ref: string): Reference {
  const bad = (why: string) => new UsageError(`invalid reference format: ${why}: "${ref}"`);
  if (!ref || ref.length > 255 + 128 + 72) throw bad("empty or too long");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad("invalid digest");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad("invalid tag");
  }
  const parts = rest.split("/");
  let domain = DOCKER_HUB;
  if (
    parts.length > 1 &&
    (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")
  ) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw bad("invalid registry host");
  }
  if (domain === "index.docker.io" || domain === "registry-1.docker.io") domain = DOCKER_HUB;
  if (parts.some((p) => p !== p.toLowerCase())) throw bad("repository name must be lowercase");
  if (!parts.length || parts.some((p) => !COMPONENT.test(p))) throw bad("invalid repository name");
  if (domain === DOCKER_HUB && parts.length === 1) parts.unshift("library");
  return { domain, path: parts.join("/"), tag: tag ?? (digest ? undefined : "latest"), digest };
}

/** Full normalised name: `docker.io/library/busybox:latest` (or `…@sha256:…`). */
export function formatReference(r: Reference): string {
  return `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** Name without tag/digest: `docker.io/library/busybox`. */
export function repositoryOf(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The short form docker prints: `busybox:latest`, `localhost:5000/x:1`. */
export function familiarName(r: Reference): string {
  let name = repositoryOf(r);
  if (r.domain === DOCKER_HUB) name = r.path.startsWith("library/") ? r.path.slice(8) : r.path;
  return `${name}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** Normalise a reference string (parse + format). */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}
