/**
 * `.dockerignore` as docker reads it (moby `patternmatcher`): one pattern a
 * line, `#` comments, paths cleaned and relative to the context root,
 * `*`, `?`, `[…]` within a path component, `**` across any number of
 * components, `!` re-includes; the last matching pattern wins, and a
 * pattern that matches a parent directory matches everything below it.
 * Pure.
 * @module
 */

import { posix } from "node:path";

/** One pattern. */
interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

/** A compiled `.dockerignore`. */
export class IgnoreMatcher {
  readonly #patterns: Pattern[];
  constructor(text: string) {
    this.#patterns = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      const exclusion = line.startsWith("!");
      if (exclusion) line = line.slice(1).trim();
      line = posix.normalize(line).replace(/^\/+/, "").replace(/\/+$/, "");
      if (line === "." || line === "") continue;
      this.#patterns.push({ re: globRegExp(line, true), exclusion });
    }
  }

  /** True when `rel` (`src/a.txt`, no leading slash) is excluded from the context. */
  ignores(rel: string): boolean {
    const parents: string[] = [];
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join("/"));
    let ignored = false;
    for (const p of this.#patterns) {
      const hit = p.re.test(rel) || (!p.exclusion && parents.some((d) => p.re.test(d)));
      if (hit) ignored = !p.exclusion;
    }
    return ignored;
  }

  /** True when some `!` pattern could re-include a path below an ignored directory. */
  get hasExclusions(): boolean {
    return this.#patterns.some((p) => p.exclusion);
  }
}

/**
 * A glob as a RegExp over slash-separated paths: `*` and `?` stay within
 * one component, `[…]` is a class, `**` (with `doublestar`) spans components.
 */
export function globRegExp(glob: string, doublestar = false): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (doublestar && glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith("^") || cls.startsWith("!")) cls = "^" + cls.slice(1);
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      re += escapeRe(glob[++i]);
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.+^${}()|[\]\\*?]/.test(c) ? `\\${c}` : c;
}

/** True when `s` has glob characters. */
export function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}
