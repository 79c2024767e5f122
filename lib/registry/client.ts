/**
 * A client for one repository of one registry (distribution API v2):
 * `/v2/` ping, manifests and blobs, with the registry's own auth scheme
 * (anonymous or credentialed Bearer tokens, or Basic), manual redirects
 * (credentials never follow a redirect to another host) and retries of
 * transient failures. Needs network access to the registry only.
 * @module
 */

import { ImageError } from "../errors.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import type { Credentials } from "./credentials.ts";
import type { Endpoint } from "./endpoint.ts";
import { MANIFEST_ACCEPT } from "./manifest.ts";
import {
  DEFAULT_RETRY,
  isNameResolutionFailure,
  isNetworkError,
  isTransientStatus,
  retryAfterMs,
  type RetryPolicy,
  TransientError,
  withRetry,
} from "./retry.ts";
import { basicAuth, fetchToken } from "./token.ts";
import { describe, errorSummary, sha256Hex } from "./http_util.ts";

/** Options for a `RegistryClient`. */
export interface ClientOptions {
  /** Saved credentials for this registry, if any. */
  credentials?: Credentials;
  /** Retry policy for requests (default `DEFAULT_RETRY`). */
  retry?: RetryPolicy;
  /** Told before each retry wait (progress output). */
  onRetry?: (what: string, err: unknown, attempt: number, delayMs: number) => void;
  /** Time allowed until response headers arrive (default 30 s). */
  headerTimeoutMs?: number;
  /** Ask for push access too (token scope `pull,push`; errors say "push access denied"). */
  push?: boolean;
  /** Other repositories of this registry to ask pull access for (cross-repository mounts). */
  mountFrom?: string[];
}

/** What `request` sends: a method other than GET, headers and a body. */
export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
}

/** A fetched manifest: raw bytes (hashed as served), content type and digest. */
export interface FetchedManifest {
  bytes: Uint8Array;
  contentType: string | null;
  digest: string;
}

const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** Registry client bound to one endpoint and repository (`library/busybox`). */
export class RegistryClient {
  readonly endpoint: Endpoint;
  readonly repo: string;
  #opts: ClientOptions;
  #challenge?: Challenge;
  #pinged = false;
  #authHeader?: string;

  constructor(endpoint: Endpoint, repo: string, opts: ClientOptions = {}) {
    this.endpoint = endpoint;
    this.repo = repo;
    this.#opts = opts;
  }

  /** The retry policy in effect. */
  get retryPolicy(): RetryPolicy {
    return this.#opts.retry ?? DEFAULT_RETRY;
  }

  /**
   * GET `/v2/` and, when it asks for auth, authenticate (token or Basic).
   * Used by `login` to check credentials.
   * @throws {ImageError} unreachable registry, not a v2 registry, or credentials refused.
   */
  async ping(): Promise<void> {
    try {
      await this.#ping();
    } catch (err) {
      throw this.#unreachable(err);
    }
  }

  async #ping(): Promise<void> {
    const res = await withRetry(this.retryPolicy, async () => {
      const r = await this.#send(`${this.endpoint.base}/v2/`, {});
      if (!isTransientStatus(r.status)) return r;
      await r.body?.cancel();
      throw new TransientError(`${this.endpoint.domain}: /v2/ answered ${r.status}`);
    }, this.#retryHook("/v2/"));
    await res.body?.cancel();
    this.#pinged = true;
    if (res.status === 401) {
      this.#challenge = pickChallenge(res.headers.get("www-authenticate"));
      await this.#authenticate(undefined);
      if (this.#challenge?.scheme === "basic") {
        // Basic auth is only checked by a request that carries it
        const again = await this.#send(`${this.endpoint.base}/v2/`, {});
        await again.body?.cancel();
        if (again.status === 401) throw this.#unauthorized();
        if (!again.ok) {
          throw new ImageError(
            `${this.endpoint.domain}: unexpected status ${again.status} from /v2/`,
          );
        }
      }
    } else if (!res.ok) {
      throw new ImageError(`${this.endpoint.domain}: unexpected status ${res.status} from /v2/`);
    }
  }

  /**
   * Fetch a manifest by tag or digest; verifies a digest reference against the bytes.
   * @throws {ImageError} not found, unauthorized, too big, digest mismatch.
   */
  async getManifest(reference: string, what: string): Promise<FetchedManifest> {
    const url = `${this.endpoint.base}/v2/${this.repo}/manifests/${reference}`;
    try {
      return await this.#getManifest(url, reference, what);
    } catch (err) {
      throw this.#unreachable(err);
    }
  }

  async #getManifest(url: string, reference: string, what: string): Promise<FetchedManifest> {
    return await withRetry(this.retryPolicy, async () => {
      const res = await this.#request(url, { headers: { accept: MANIFEST_ACCEPT } });
      if (res.status === 404) {
        throw new ImageError(
          `manifest for ${what} not found: ${await errorSummary(res, "manifest unknown")}`,
        );
      }
      await this.#throwUnlessOk(res, `manifest for ${what}`);
      const len = Number(res.headers.get("content-length") ?? 0);
      if (len > MAX_MANIFEST) {
        await res.body?.cancel();
        throw new ImageError(`manifest for ${what} is too large (${len} bytes)`);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length > MAX_MANIFEST) throw new ImageError(`manifest for ${what} is too large`);
      const digest = `sha256:${sha256Hex(bytes)}`;
      if (reference.startsWith("sha256:") && digest !== reference) {
        throw new ImageError(`manifest digest mismatch for ${what}: registry served ${digest}`);
      }
      return { bytes, contentType: res.headers.get("content-type"), digest };
    }, this.#retryHook(`manifest ${reference}`));
  }

  /**
   * Open a blob, from byte `offset` when > 0 (a `Range` request: the caller
   * checks for 206). One attempt: the caller retries and resumes.
   * @throws {ImageError} not found / unauthorized; {@link TransientError} on 5xx/429.
   */
  async openBlob(digest: string, offset: number, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.#request(`${this.endpoint.base}/v2/${this.repo}/blobs/${digest}`, {
      headers,
      signal,
    });
    if (res.status === 404) {
      throw new ImageError(
        `blob ${digest} not found in ${this.endpoint.domain}/${this.repo}: ${await errorSummary(
          res,
          "blob unknown",
        )}`,
      );
    }
    if (res.status === 416) return res; // the caller restarts from 0
    await this.#throwUnlessOk(res, `blob ${digest}`);
    return res;
  }

  /**
   * One authenticated exchange with the registry (`url` absolute or a path
   * below the base). Redirects are followed for GET and HEAD only. One
   * attempt: the caller retries.
   */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    return await this.#request(new URL(url, this.endpoint.base).href, init);
  }

  /**
   * Throw for a non-2xx answer: {@link TransientError} on 5xx/429,
   * {@link ImageError} (unauthorized or the registry's message) otherwise.
   */
  async throwUnlessOk(res: Response, what: string): Promise<void> {
    await this.#throwUnlessOk(res, what);
  }

  /** Wrap network failures (after retries) as one ImageError line. */
  unreachable(err: unknown): unknown {
    return this.#unreachable(err);
  }

  async #throwUnlessOk(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    const summary = await errorSummary(res, res.statusText);
    if (isTransientStatus(res.status)) {
      throw new TransientError(`${what}: ${res.status} ${summary}`, {
        retryAfterMs: retryAfterMs(res.headers.get("retry-after")),
      });
    }
    if (res.status === 401 || res.status === 403) throw this.#unauthorized(summary);
    throw new ImageError(`${what}: ${this.endpoint.domain} answered ${res.status}: ${summary}`);
  }

  /** Authenticated request: ping once, attach auth, re-authenticate once on 401. */
  async #request(url: string, init: RequestInit): Promise<Response> {
    if (!this.#pinged) await this.ping();
    let res = await this.#send(url, init);
    if (res.status === 401 && this.#challenge?.scheme !== "basic") {
      // expired token or a narrower scope than asked: follow the new challenge once
      const ch = pickChallenge(res.headers.get("www-authenticate"));
      if (ch) {
        await res.body?.cancel();
        this.#challenge = ch;
        await this.#authenticate(ch.params.scope);
        res = await this.#send(url, init);
      }
    }
    return res;
  }

  async #authenticate(scopeFromChallenge: string | undefined): Promise<void> {
    const ch = this.#challenge;
    const creds = this.#opts.credentials;
    if (!ch) return;
    if (ch.scheme === "basic") {
      this.#authHeader = creds ? basicAuth(creds) : undefined;
      return;
    }
    if (ch.scheme !== "bearer" || !ch.params.realm) {
      throw new ImageError(
        `${this.endpoint.domain}: unsupported authentication scheme "${ch.scheme}"`,
      );
    }
    const scope = scopeFromChallenge
      ? [scopeFromChallenge]
      : [`repository:${this.repo}:${this.#opts.push ? "pull,push" : "pull"}`];
    for (const from of this.#opts.mountFrom ?? []) scope.push(`repository:${from}:pull`);
    const token = await withRetry(
      this.retryPolicy,
      () =>
        fetchToken(
          ch.params.realm,
          ch.params.service,
          this.repo ? scope : undefined,
          creds,
          this.endpoint.domain,
        ),
      this.#retryHook("token"),
    );
    this.#authHeader = `Bearer ${token}`;
  }

  /** Network failures (after retries) as one ImageError line; other errors pass through. */
  #unreachable(err: unknown): unknown {
    if (err instanceof ImageError) return err; // already explained by an inner call
    if (!isNetworkError(err) && !isNameResolutionFailure(err) && !(err instanceof TransientError)) {
      return err;
    }
    const e = this.endpoint;
    return new ImageError(`cannot reach registry ${e.domain} (${e.base}): ${describe(err)}`, {
      cause: err,
      hint: e.insecure
        ? undefined
        : "for a registry served over plain HTTP, use --insecure-registry",
    });
  }

  #unauthorized(detail?: string): ImageError {
    const host = this.endpoint.domain;
    if (!this.#opts.credentials) {
      return new ImageError(
        `${
          this.#opts.push ? "push" : "pull"
        } access denied for ${host}/${this.repo}, repository does not exist or may require 'tsbox login'${
          detail ? `: ${detail}` : ""
        }`,
        { hint: `tsbox login ${host}` },
      );
    }
    return new ImageError(
      `unauthorized: incorrect username or password for ${host}${detail ? `: ${detail}` : ""}`,
      {
        hint: `check the credentials with 'tsbox login ${host}'`,
      },
    );
  }

  /**
   * One HTTP exchange, following redirects by hand (auth only to the
   * registry's own origin). The header timeout aborts only until headers
   * arrive; afterwards only the caller's signal can abort the body.
   */
  async #send(url: string, init: RequestInit): Promise<Response> {
    const origin = new URL(this.endpoint.base).origin;
    let current = new URL(url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { "user-agent": "tsbox/0.1", ...init.headers };
      if (this.#authHeader && current.origin === origin) headers.authorization = this.#authHeader;
      const ctl = new AbortController();
      const forward = () => ctl.abort(init.signal?.reason);
      if (init.signal?.aborted) forward();
      init.signal?.addEventListener("abort", forward, { once: true });
      const timer = setTimeout(
        () => ctl.abort(new DOMException(`no response from ${current.host}`, "TimeoutError")),
        this.#opts.headerTimeoutMs ?? 30_000,
      );
      let res: Response;
      try {
        res = await fetch(current, {
          method: init.method ?? "GET",
          headers,
          body: init.body as Uint8Array<ArrayBuffer> | undefined,
          redirect: "manual",
          signal: ctl.signal,
        });
      } finally {
        clearTimeout(timer);
      }
      const follows = !init.method || init.method === "GET" || init.method === "HEAD";
      if (follows && res.status >= 300 && res.status < 400 && res.headers.get("location")) {
        await res.body?.cancel();
        init.signal?.removeEventListener("abort", forward);
        current = new URL(res.headers.get("location")!, current);
        continue;
      }
      return res;
    }
    throw new ImageError(`too many redirects fetching ${url}`);
  }

  #retryHook(what: string) {
    return (err: unknown, attempt: number, delay: number) =>
      this.#opts.onRetry?.(what, err, attempt, delay);
  }
}

function pickChallenge(header: string | null): Challenge | undefined {
  const all = parseChallenges(header ?? "");
  return all.find((c) => c.scheme === "bearer") ?? all.find((c) => c.scheme === "basic") ?? all[0];
}
