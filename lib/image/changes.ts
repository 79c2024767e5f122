/**
 * `import --change`: the Dockerfile instructions docker accepts there
 * (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR),
 * applied to an image config. Pure.
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ImageConfig } from "./types.ts";

/**
 * Apply `changes` (each one instruction line) to a copy of `config`.
 * @throws {UsageError} unknown instruction or malformed argument.
 */
export function applyChanges(config: ImageConfig, changes: string[]): ImageConfig {
  const c: ImageConfig = structuredClone(config);
  for (const line of changes) {
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new UsageError(`invalid --change "${line}": expected INSTRUCTION ARGS`);
    const op = m[1].toUpperCase();
    const arg = m[2].trim();
    switch (op) {
      case "CMD":
        c.Cmd = execOrShell(arg, line);
        break;
      case "ENTRYPOINT":
        c.Entrypoint = execOrShell(arg, line);
        break;
      case "ENV":
        for (const [k, v] of keyValues(arg, line)) {
          c.Env = [...(c.Env ?? []).filter((e) => e.split("=")[0] !== k), `${k}=${v}`];
        }
        break;
      case "LABEL":
        for (const [k, v] of keyValues(arg, line)) c.Labels = { ...(c.Labels ?? {}), [k]: v };
        break;
      case "EXPOSE":
        for (const p of arg.split(/\s+/)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(p)) {
            throw new UsageError(`invalid --change "${line}": bad port "${p}"`);
          }
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [p.includes("/") ? p : `${p}/tcp`]: {} };
        }
        break;
      case "VOLUME": {
        const list = arg.startsWith("[") ? jsonList(arg, line) : arg.split(/\s+/);
        for (const v of list) c.Volumes = { ...(c.Volumes ?? {}), [v]: {} };
        break;
      }
      case "USER":
        c.User = arg;
        break;
      case "WORKDIR":
        c.WorkingDir = arg;
        break;
      case "STOPSIGNAL":
        c.StopSignal = arg;
        break;
      default:
        throw new UsageError(
          `invalid --change "${line}": ${op} is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)`,
        );
    }
  }
  return c;
}

/** JSON exec form `["a","b"]`, else shell form `/bin/sh -c "…"`. */
function execOrShell(arg: string, line: string): string[] {
  if (arg.startsWith("[")) return jsonList(arg, line);
  return ["/bin/sh", "-c", arg];
}

function jsonList(arg: string, line: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(arg);
  } catch (err) {
    // not JSON after all
    if (err instanceof SyntaxError) {
      throw new UsageError(`invalid --change "${line}": malformed JSON list`);
    }
    throw err;
  }
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    throw new UsageError(`invalid --change "${line}": expected a JSON list of strings`);
  }
  return v;
}

/** `K=V K2="v 2"` or the legacy `K V` form. */
function keyValues(arg: string, line: string): [string, string][] {
  if (!/^[^\s=]+=/.test(arg)) {
    const sp = arg.search(/\s/);
    if (sp < 0) throw new UsageError(`invalid --change "${line}": expected KEY=VALUE`);
    return [[arg.slice(0, sp), arg.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(arg))) {
    out.push([m[1], m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4] ?? m[5] ?? ""]);
  }
  if (!out.length) throw new UsageError(`invalid --change "${line}": expected KEY=VALUE`);
  return out;
}
