/** file: URL → path (node:url's fileURLToPath, kept in one place). @module */
import { fileURLToPath } from "node:url";

/** Path of a `file:` URL. */
export function fromFileUrl(url: string | URL): string {
  return fileURLToPath(url);
}
