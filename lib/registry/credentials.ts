/**
 * Saved registry credentials: `<root>/auth.json`, shaped like docker's
 * `config.json` (`{"auths": {"HOST": {"auth": base64("user:pass")}}}`),
 * mode 0600, written atomically under a lock.
 * @module
 */

import { join } from "../posix_path.ts";
import { ImageError } from "../errors.ts";
import { readJsonIfExists, withLock, writeJsonAtomic } from "../fsutil.ts";
import type { Paths } from "../paths.ts";
import { DOCKER_HUB } from "../image/reference.ts";

/** A username/password pair. */
export interface Credentials {
  username: string;
  password: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: string }>;
}

/** Path of the credentials file. */
export function authFilePath(paths: Paths): string {
  return join(paths.root, "auth.json");
}

/**
 * Normalise what a user types for a registry (`https://index.docker.io/v1/`,
 * `registry-1.docker.io`, `HOST:PORT/`) to the key credentials are stored
 * under: the reference domain (`docker.io`, `HOST:PORT`).
 */
export function registryKey(host: string): string {
  let h = host.trim().replace(/^[a-z]+:\/\//i, "");
  h = h.split("/")[0];
  if (h === "index.docker.io" || h === "registry-1.docker.io" || h === "registry.hub.docker.com") {
    return DOCKER_HUB;
  }
  return h.toLowerCase();
}

/**
 * Credentials saved for `host`, if any.
 * @throws {ImageError} the file exists but cannot be parsed.
 */
export function loadCredentials(paths: Paths, host: string): Credentials | undefined {
  const entry = readAuthFile(paths).auths?.[registryKey(host)];
  if (!entry?.auth) return undefined;
  const plain = new TextDecoder().decode(Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)));
  const colon = plain.indexOf(":");
  if (colon < 0) {
    throw new ImageError(`invalid saved credentials for ${host} in ${authFilePath(paths)}`);
  }
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

/**
 * Save credentials for `host` (replacing older ones). Needs write access to the state root.
 * @throws {ImageError} the existing file cannot be parsed.
 */
export async function saveCredentials(
  paths: Paths,
  host: string,
  creds: Credentials,
): Promise<void> {
  const bytes = new TextEncoder().encode(`${creds.username}:${creds.password}`);
  const auth = btoa(String.fromCharCode(...bytes));
  await withLock(join(paths.locks, "auth.lock"), () => {
    const file = readAuthFile(paths);
    file.auths = { ...file.auths, [registryKey(host)]: { auth } };
    writeJsonAtomic(authFilePath(paths), file, 0o600);
  });
}

/**
 * Forget credentials for `host`.
 * @returns false when none were saved.
 */
export async function removeCredentials(paths: Paths, host: string): Promise<boolean> {
  return await withLock(join(paths.locks, "auth.lock"), () => {
    const file = readAuthFile(paths);
    const key = registryKey(host);
    if (!file.auths?.[key]) return false;
    delete file.auths[key];
    writeJsonAtomic(authFilePath(paths), file, 0o600);
    return true;
  });
}

function readAuthFile(paths: Paths): AuthFile {
  const path = authFilePath(paths);
  try {
    return readJsonIfExists<AuthFile>(path) ?? {};
  } catch (err) {
    // a hand-edited file: say which one instead of a bare JSON error
    if (err instanceof SyntaxError) throw new ImageError(`cannot parse ${path}`, { cause: err });
    throw err;
  }
}
