/**
 * Lower-case hex digests of short texts with Web Crypto: the seccomp cache's
 * keys, the names the network code derives (bridge names, the CNI plugins'
 * chain names). node:crypto's createHash does it synchronously, but loading
 * node:crypto costs a process ~17 ms — every bridged start paid it twice
 * (the CLI and `tsbox-runc create` both load the network code).
 * @module
 */

/** The hex digest of `text` (UTF-8) by `algorithm`, as node:crypto's `digest("hex")`. */
export async function hexDigest(algorithm: "SHA-256" | "SHA-512", text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest(algorithm, new TextEncoder().encode(text)));
  let hex = "";
  for (const b of d) hex += b.toString(16).padStart(2, "0");
  return hex;
}
