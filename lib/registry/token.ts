/**
 * Bearer tokens from a registry's token service (docker's token auth spec):
 * `GET realm?service=…&scope=repository:NAME:pull`, anonymously or with
 * Basic credentials; and the Basic `Authorization` header itself.
 * @module
 */

import { ImageError } from "../errors.ts";
import type { Credentials } from "./credentials.ts";
import { errorSummary } from "./http_util.ts";
import { isTransientStatus, retryAfterMs, TransientError } from "./retry.ts";

/** `Basic base64(user:pass)` (UTF-8). */
export function basicAuth(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * Get a token for `scope` from `realm`. One attempt (the caller retries).
 * @throws {ImageError} credentials refused or no token in the answer; {@link TransientError} on 5xx/429.
 */
export async function fetchToken(
  realm: string,
  service: string | undefined,
  scope: string | string[] | undefined,
  creds: Credentials | undefined,
  registry: string,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(realm);
  } catch (err) {
    // a registry advertising garbage must not crash with a bare TypeError
    if (err instanceof TypeError) {
      throw new ImageError(`${registry}: invalid token realm "${realm}"`);
    }
    throw err;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ImageError(`${registry}: invalid token realm "${realm}"`);
  }
  if (service) url.searchParams.set("service", service);
  for (const sc of typeof scope === "string" ? [scope] : scope ?? []) {
    url.searchParams.append("scope", sc);
  }
  const headers: Record<string, string> = { "user-agent": "tsbox/0.1" };
  if (creds) {
    headers.authorization = basicAuth(creds);
    url.searchParams.set("account", creds.username);
  }
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  if (isTransientStatus(res.status)) {
    await res.body?.cancel();
    throw new TransientError(`token service ${url.host} answered ${res.status}`, {
      retryAfterMs: retryAfterMs(res.headers.get("retry-after")),
    });
  }
  if (res.status === 401 || res.status === 403) {
    const why = await errorSummary(res, "authentication required");
    if (creds) {
      throw new ImageError(`unauthorized: incorrect username or password for ${registry}: ${why}`);
    }
    throw new ImageError(`unauthorized: ${registry} requires authentication: ${why}`, {
      hint: `tsbox login ${registry}`,
    });
  }
  if (!res.ok) {
    throw new ImageError(
      `token service ${url.host} answered ${res.status}: ${await errorSummary(
        res,
        res.statusText,
      )}`,
    );
  }
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = await res.json();
  } catch (err) {
    // a captive portal or proxy page instead of JSON
    if (err instanceof SyntaxError) {
      throw new ImageError(`token service ${url.host} sent an invalid answer`, { cause: err });
    }
    throw err;
  }
  const token = typeof body.token === "string" && body.token ? body.token : body.access_token;
  if (typeof token !== "string" || !token) {
    throw new ImageError(`token service ${url.host} sent no token`);
  }
  return token;
}
