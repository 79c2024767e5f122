/**
 * `--log-driver` and `--log-opt` as docker validates them: `json-file`
 * (default; `max-size`, `max-file`), `local` (the same file format here,
 * with docker's local defaults of 20m × 5), and `none` (no log, `logs`
 * refuses). Any other driver or option is refused, never ignored. Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

/** What the record keeps (inspect's HostConfig.LogConfig). */
export interface LogConfig {
  Type: "json-file" | "local" | "none";
  Config: Record<string, string>;
}

/** How the writer rotates: at `maxSize` bytes, keeping `maxFile` files (current included). */
export interface LogRotation {
  maxSize: number;
  maxFile: number;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, m: 1e6, g: 1e9 };

function size(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw new UsageError(`invalid value for max-size: ${v}`, { hint: "e.g. 10k, 20m, 1g" });
  return Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}

/**
 * Check `--log-driver` and `--log-opt K=V` values.
 * @throws {UsageError} unknown driver or option, bad value (run/create: 125).
 */
export function parseLogConfig(driver: string | undefined, opts: string[]): LogConfig {
  const type = driver ?? "json-file";
  if (type !== "json-file" && type !== "local" && type !== "none") {
    throw new UsageError(`logging driver "${type}" is not supported by tsbox`, {
      hint: "use json-file, local or none",
    });
  }
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf("=");
    if (eq < 1) throw new UsageError(`invalid log opt '${o}': expected KEY=VALUE`);
    const k = o.slice(0, eq);
    if (type === "none" || (k !== "max-size" && k !== "max-file")) {
      throw new UsageError(`unknown log opt '${k}' for ${type} log driver`);
    }
    config[k] = o.slice(eq + 1);
  }
  const c: LogConfig = { Type: type, Config: config };
  rotationOf(c); // validates the values
  return c;
}

/**
 * The rotation a log config asks for; undefined: one file that only grows.
 * @throws {UsageError} a bad max-size / max-file.
 */
export function rotationOf(c: LogConfig | undefined): LogRotation | undefined {
  if (!c || c.Type === "none") return undefined;
  const local = c.Type === "local";
  const maxSize = c.Config["max-size"] !== undefined
    ? size(c.Config["max-size"])
    : local
    ? 20e6
    : undefined;
  const fileText = c.Config["max-file"];
  const maxFile = fileText !== undefined ? Number(fileText) : local ? 5 : 1;
  if (!Number.isInteger(maxFile) || maxFile < 1) {
    throw new UsageError(`invalid value for max-file: ${fileText}: must be a positive integer`);
  }
  if (maxFile > 1 && maxSize === undefined) {
    throw new UsageError("max-file cannot be set when max-size is not set");
  }
  if (maxSize === undefined || maxSize <= 0) return undefined;
  return { maxSize, maxFile };
}
