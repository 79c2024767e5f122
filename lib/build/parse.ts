/**
 * Dockerfile parser, as docker's (moby/buildkit `frontend/dockerfile/parser`):
 * parser directives at the top (`# syntax=`, `# escape=`), comments, line
 * continuations with the escape character (comment and empty lines inside a
 * continuation are skipped), leading `--flag=value` options, and the JSON
 * (exec) or shell form of the arguments. Variables are not substituted here:
 * that happens when the instruction runs (values change along the file).
 * Pure. Heredocs are not supported.
 * @module
 */

import { BuildError } from "./errors.ts";

/** One instruction as written. */
export interface Instruction {
  /** Upper-cased keyword (`RUN`). */
  cmd: string;
  /** 1-based line where the instruction starts. */
  line: number;
  /** The logical line as written (continuations joined), for messages and history. */
  original: string;
  /** `--name=value` options before the arguments (`--from=build`). */
  flags: Record<string, string>;
  /** Arguments after the flags, trimmed (continuations joined). */
  rest: string;
  /** The JSON array when the arguments are in exec form. */
  json?: string[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** Parser directives found at the top (`syntax`, `escape`). */
  directives: Record<string, string>;
  /** The escape character (`\` or `` ` ``). */
  escape: string;
  instructions: Instruction[];
}

const KNOWN = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** Instructions whose arguments may start with `--flag` options. */
const WITH_FLAGS = new Set(["ADD", "COPY", "FROM", "RUN", "HEALTHCHECK"]);

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/**
 * Parse `text` (the Dockerfile named `file` in messages).
 * @throws {BuildError} `file:LINE: …` for an unknown instruction, a bad
 * escape directive, a missing argument or a file without instructions.
 */
export function parseDockerfile(text: string, file = "Dockerfile"): Dockerfile {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  // directives: only before the first comment, blank line or instruction
  for (; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(lines[i].trim());
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key !== "syntax" && key !== "escape" && key !== "check") break;
    if (key in directives) {
      throw new BuildError(`${file}:${i + 1}: only one ${key} parser directive can be used`);
    }
    directives[key] = m[2];
  }
  const escape = directives.escape ?? "\\";
  if (escape !== "\\" && escape !== "`") {
    throw new BuildError(
      `${file}:${i}: invalid escape token '${escape}' does not match ` + "` or \\",
    );
  }
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i++;
      continue;
    }
    const start = i + 1;
    let logical = "";
    let cur = raw.replace(/^\s+/, "");
    for (;;) {
      const { text: body, continues } = continuation(cur, escape);
      logical += body;
      i++;
      if (!continues) break;
      // skip comment and empty lines inside a continuation (docker does)
      while (i < lines.length && /^\s*(#.*)?$/.test(lines[i])) i++;
      if (i >= lines.length) break;
      cur = lines[i];
    }
    instructions.push(parseInstruction(logical.trim(), start, file));
  }
  if (!instructions.length) throw new BuildError(`${file}: the Dockerfile has no instructions`);
  return { directives, escape, instructions };
}

/** A physical line without its trailing escape character, and whether it continues. */
function continuation(line: string, escape: string): { text: string; continues: boolean } {
  const t = line.replace(/\s+$/, "");
  if (t.endsWith(escape)) {
    // an even run of escapes is an escaped escape, not a continuation
    let n = 0;
    for (let k = t.length - 1; k >= 0 && t[k] === escape; k--) n++;
    if (n % 2 === 1) return { text: t.slice(0, -1), continues: true };
  }
  return { text: line, continues: false };
}

function parseInstruction(logical: string, line: number, file: string): Instruction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(logical)!;
  const cmd = m[1].toUpperCase();
  if (!KNOWN.has(cmd)) {
    throw new BuildError(`${file}:${line}: unknown instruction: ${m[1]}`);
  }
  let rest = (m[2] ?? "").trim();
  const flags: Record<string, string> = {};
  if (WITH_FLAGS.has(cmd)) {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      flags[f[1]] = f[2] ?? "true";
      rest = rest.slice(f[0].length);
    }
  }
  if (rest === "" && cmd !== "HEALTHCHECK") {
    throw new BuildError(`${file}:${line}: ${cmd} requires at least one argument`);
  }
  const json = jsonForm(rest);
  return { cmd, line, original: logical, flags, rest, ...(json ? { json } : {}) };
}

/** The JSON array form (`["a", "b"]`), or undefined when the text is not one (shell form). */
export function jsonForm(rest: string): string[] | undefined {
  if (!rest.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(rest);
    if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v;
  } catch (err) {
    // not JSON: docker treats the text as the shell form
    if (!(err instanceof SyntaxError)) throw err;
  }
  return undefined;
}
