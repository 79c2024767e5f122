/**
 * file: URL → path, as node:url's `fileURLToPath` on POSIX (ported: importing
 * node:url costs every tsbox process ~5 ms of start-up; see posix_path.ts).
 * @module
 */

/**
 * Path of a `file:` URL (percent-escapes decoded).
 * @throws {TypeError} not a URL, not `file:`, a host other than localhost, or an encoded `/`.
 */
export function fromFileUrl(url: string | URL): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError("The URL must be of scheme file");
  if (u.hostname !== "") {
    throw new TypeError(`File URL host must be "localhost" or empty on linux`);
  }
  if (/%2f/i.test(u.pathname)) {
    throw new TypeError("File URL path must not include encoded / characters");
  }
  return decodeURIComponent(u.pathname);
}
