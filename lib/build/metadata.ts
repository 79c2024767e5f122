/**
 * The Dockerfile instructions that change only the image config (ENV,
 * LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, SHELL, CMD,
 * ENTRYPOINT, HEALTHCHECK, ONBUILD, MAINTAINER), with docker's variable
 * substitution where docker applies it (not in CMD/ENTRYPOINT/SHELL/ONBUILD).
 * Pure.
 * @module
 */

import { posix } from "node:path";
import type { ImageConfig } from "../image/types.ts";
import type { Instruction } from "./parse.ts";
import { processWord, processWords, type Vars } from "./words.ts";

/** Instructions handled here. */
export const METADATA: ReadonlySet<string> = new Set([
  "ENV",
  "LABEL",
  "EXPOSE",
  "VOLUME",
  "USER",
  "WORKDIR",
  "STOPSIGNAL",
  "SHELL",
  "CMD",
  "ENTRYPOINT",
  "HEALTHCHECK",
  "ONBUILD",
  "MAINTAINER",
]);

/** The stage state a metadata instruction reads and changes. */
export interface MetaState {
  config: ImageConfig;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  /** MAINTAINER. */
  author?: string;
}

/** The default SHELL. */
export const DEFAULT_SHELL = ["/bin/sh", "-c"];

/**
 * Apply `ins` to `st` (changed in place); returns the history text
 * (`ENV A=b`, after substitution).
 * @throws {Error} a malformed argument (the caller names the line).
 */
export function applyMetadata(ins: Instruction, st: MetaState, vars: Vars, escape: string): string {
  const c = st.config;
  const words = () => processWords(ins.rest, vars, escape);
  const word = () => processWord(ins.rest, vars, escape);
  switch (ins.cmd) {
    case "ENV": {
      const pairs = keyValues(ins.rest, vars, escape, "ENV");
      for (const [k, v] of pairs) {
        c.Env = [...(c.Env ?? []).filter((e) => e.split("=")[0] !== k), `${k}=${v}`];
      }
      return `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}`;
    }
    case "LABEL": {
      const pairs = keyValues(ins.rest, vars, escape, "LABEL");
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of pairs) c.Labels[k] = v;
      return `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}`;
    }
    case "EXPOSE": {
      const ports = words();
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new Error(`invalid containerPort: ${p}`);
        const proto = (m[3] ?? "tcp").toLowerCase();
        const lo = Number(m[1]);
        const hi = m[2] ? Number(m[2]) : lo;
        if (hi < lo || hi > 65535) throw new Error(`invalid range of ports: ${p}`);
        for (let n = lo; n <= hi; n++) c.ExposedPorts[`${n}/${proto}`] = {};
      }
      return `EXPOSE ${ports.join(" ")}`;
    }
    case "VOLUME": {
      const list = ins.json ? ins.json.map((v) => processWord(v, vars, escape)) : words();
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of list) {
        if (!v) throw new Error("VOLUME specified can not be an empty string");
        c.Volumes[v] = {};
      }
      return `VOLUME [${list.map((v) => JSON.stringify(v)).join(", ")}]`;
    }
    case "USER":
      c.User = word();
      return `USER ${c.User}`;
    case "WORKDIR": {
      const dir = word();
      c.WorkingDir = posix.normalize(
        posix.join(dir.startsWith("/") ? "/" : c.WorkingDir || "/", dir),
      );
      return `WORKDIR ${c.WorkingDir}`;
    }
    case "STOPSIGNAL":
      c.StopSignal = word();
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(c.StopSignal)) {
        throw new Error(`invalid signal: ${c.StopSignal}`);
      }
      return `STOPSIGNAL ${c.StopSignal}`;
    case "SHELL":
      if (!ins.json || !ins.json.length) {
        throw new Error("SHELL requires the arguments to be in JSON form");
      }
      c.Shell = ins.json;
      return `SHELL [${ins.json.map((v) => JSON.stringify(v)).join(" ")}]`;
    case "CMD":
      c.Cmd = command(ins, c);
      st.cmdSet = true;
      return `CMD ${JSON.stringify(c.Cmd)}`;
    case "ENTRYPOINT":
      c.Entrypoint = command(ins, c);
      if (!st.cmdSet) c.Cmd = null; // an inherited CMD is reset by ENTRYPOINT
      return `ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`;
    case "HEALTHCHECK":
      c.Healthcheck = healthcheck(ins);
      return `HEALTHCHECK ${
        Object.entries(ins.flags).map(([k, v]) => `--${k}=${v} `).join("")
      }${ins.rest}`;
    case "ONBUILD": {
      const kw = ins.rest.split(/\s+/)[0].toUpperCase();
      if (kw === "ONBUILD" || kw === "FROM" || kw === "MAINTAINER") {
        throw new Error(`${kw} isn't allowed as an ONBUILD trigger`);
      }
      c.OnBuild = [...((c.OnBuild as string[] | null) ?? []), ins.rest];
      return `ONBUILD ${ins.rest}`;
    }
    case "MAINTAINER":
      st.author = word();
      return `MAINTAINER ${st.author}`;
  }
  throw new Error(`${ins.cmd} is not a metadata instruction`);
}

/** Exec form as is; shell form through the stage's SHELL. */
export function command(ins: Instruction, c: ImageConfig): string[] {
  return ins.json ?? [...((c.Shell as string[] | undefined) ?? DEFAULT_SHELL), ins.rest];
}

/** `K=V K2="v 2"`, or the legacy `K V…` (one pair, the value is the rest). */
function keyValues(rest: string, vars: Vars, escape: string, what: string): [string, string][] {
  const words = processWords(rest, vars, escape);
  if (!words[0]?.includes("=")) {
    const first = /^(\S+)(\s+([\s\S]*))?$/.exec(rest)!;
    if (first[3] === undefined) throw new Error(`${what} must have two arguments`);
    return [[processWord(first[1], vars, escape), processWord(first[3], vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new Error(`${what} names can not be blank: "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function healthcheck(ins: Instruction): Record<string, unknown> {
  const rest = ins.rest.trim();
  if (/^NONE$/i.test(rest)) {
    if (Object.keys(ins.flags).length) throw new Error("HEALTHCHECK NONE takes no options");
    return { Test: ["NONE"] };
  }
  const m = /^CMD(?:\s+([\s\S]*))?$/i.exec(rest);
  if (!m || !m[1]) throw new Error("HEALTHCHECK requires NONE or CMD followed by a command");
  const json = ins.json === undefined && m[1].startsWith("[") ? safeJson(m[1]) : undefined;
  const hc: Record<string, unknown> = {
    Test: json ? ["CMD", ...json] : ["CMD-SHELL", m[1]],
  };
  const durations: [string, string][] = [
    ["interval", "Interval"],
    ["timeout", "Timeout"],
    ["start-period", "StartPeriod"],
    ["start-interval", "StartInterval"],
  ];
  for (const [flag, key] of durations) {
    if (ins.flags[flag] !== undefined) hc[key] = durationNs(ins.flags[flag], flag);
  }
  if (ins.flags.retries !== undefined) {
    const n = Number(ins.flags.retries);
    if (!Number.isInteger(n) || n < 0) throw new Error(`invalid --retries: ${ins.flags.retries}`);
    hc.Retries = n;
  }
  for (const f of Object.keys(ins.flags)) {
    if (![...durations.map((d) => d[0]), "retries"].includes(f)) {
      throw new Error(`unknown flag: --${f}`);
    }
  }
  return hc;
}

function safeJson(s: string): string[] | undefined {
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
  } catch (err) {
    // shell form after all
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go duration (`30s`, `1m30s`, `500ms`) in nanoseconds. */
export function durationNs(s: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid --${flag}: time: invalid duration "${s}"`);
    total += Number(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (!s.length) throw new Error(`invalid --${flag}: time: invalid duration ""`);
  return Math.round(total);
}
