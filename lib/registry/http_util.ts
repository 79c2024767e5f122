/**
 * Small helpers shared by the registry client: sha256 of bytes and a
 * one-line summary of a registry's JSON error body.
 * @module
 */

import { createHash } from "node:crypto";

/** Hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Summarise an error response: the registry's `{"errors":[{code,message}]}`
 * as `code: message`, else `fallback`. Consumes the body (at most 64 KiB read).
 */
export async function errorSummary(res: Response, fallback: string): Promise<string> {
  let text = "";
  try {
    text = (await res.text()).slice(0, 65536);
  } catch (err) {
    // the connection died while reading an error body: the status is enough
    if (!(err instanceof TypeError)) throw err;
  }
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const parts = (doc.errors ?? []).map((e) =>
      [e.code?.toLowerCase().replace(/_/g, " "), e.message].filter(Boolean).join(": ")
    );
    if (parts.length) return parts.join("; ");
  } catch (err) {
    // not JSON (HTML from a proxy): fall back to the status text
    if (!(err instanceof SyntaxError)) throw err;
  }
  return fallback || `HTTP ${res.status}`;
}

/** A network error as a short phrase (fetch's URL prefix dropped). */
export function describe(err: unknown): string {
  if (err instanceof DOMException && err.name === "TimeoutError") return err.message || "timed out";
  if (err instanceof Error) {
    // fetch says "fetch failed" and keeps the reason in `cause`
    const inner = err.message === "fetch failed" && err.cause instanceof Error
      ? err.cause.message
      : err.message;
    return inner.replace(/^error sending request for url \([^)]*\): /, "").replace(
      /^client error \(Connect\): /,
      "",
    );
  }
  return String(err);
}
