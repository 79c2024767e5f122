/**
 * Where the CNI plugin binaries are: `--cni-path` / `TSBOX_CNI_PATH` (a
 * colon-separated list), else the Debian and upstream default directories.
 * @module
 */

import { join } from "../posix_path.ts";
import { NetworkError } from "../errors.ts";

/** Default plugin directories, in search order (Debian's first). */
export const DEFAULT_CNI_PATH = ["/usr/lib/cni", "/opt/cni/bin"];

/** The Debian package that ships the standard plugins. */
export const CNI_PACKAGE = "containernetworking-plugins";

/**
 * The plugin search path: `explicit` (from `--cni-path`), else `envValue`
 * (`TSBOX_CNI_PATH`), else the defaults.
 */
export function resolveCniPath(explicit?: string[] | string, envValue?: string): string[] {
  const pick = Array.isArray(explicit) ? explicit.join(":") : explicit;
  const raw = pick || envValue || "";
  const dirs = raw.split(":").filter((d) => d !== "");
  return dirs.length ? dirs : [...DEFAULT_CNI_PATH];
}

/** Path of plugin `type` in the first directory holding it, or `undefined`. */
export function findPlugin(type: string, cniPath: string[]): string | undefined {
  for (const dir of cniPath) {
    const p = join(dir, type);
    try {
      const st = Deno.statSync(p);
      if (st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0) return p;
    } catch (err) {
      // a missing directory or file just means "look in the next one"
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
        throw err;
      }
    }
  }
  return undefined;
}

/**
 * Fail unless every plugin in `types` exists somewhere on `cniPath`.
 * @throws {NetworkError} naming the first missing plugin and the package to install.
 */
export function requirePlugins(types: string[], cniPath: string[]): void {
  for (const t of new Set(types)) {
    if (findPlugin(t, cniPath)) continue;
    throw new NetworkError(`CNI plugin "${t}" not found in ${cniPath.join(":")}`, {
      op: "cni",
      hint: `install the Debian package ${CNI_PACKAGE} (apt-get install ${CNI_PACKAGE}), ` +
        `or point --cni-path / TSBOX_CNI_PATH at the plugin directory`,
    });
  }
}
