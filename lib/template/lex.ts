/**
 * Lexer of Go's text/template language: splits a template into text and
 * actions (honouring `{{-`/`-}}` trim markers, comments and quoted `}}`)
 * and an action into tokens. Pure.
 * @module
 */

import { TemplateError } from "../errors.ts";

/** One token of an action; `glued` when no space precedes it (`.A.B`, `(x).F`). */
export type Tok =
  | { t: "field"; v: string; pos: number; glued: boolean }
  | { t: "dot" | "(" | ")" | "|" | ":=" | "=" | ","; pos: number; glued: boolean }
  | { t: "var" | "ident"; v: string; pos: number; glued: boolean }
  | { t: "str"; v: string; pos: number; glued: boolean }
  | { t: "num"; v: number; pos: number; glued: boolean };

/** Line number (1-based) of offset `pos` in `src`. */
export function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === "\n") n++;
  return n;
}

/** Throw Go's parse error at `pos`. */
export function fail(src: string, pos: number, msg: string): never {
  throw new TemplateError(`template: :${lineOf(src, pos)}: ${msg}`);
}

const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isAlnum = (c: string) => /[A-Za-z0-9_]/.test(c);

/** Split the inside of one action (offsets absolute in `src`) into tokens. */
function lexAction(src: string, start: number, end: number): Tok[] {
  const toks: Tok[] = [];
  let i = start;
  let glued = false;
  const word = (from: number) => {
    let j = from;
    while (j < end && isAlnum(src[j])) j++;
    return j;
  };
  while (i < end) {
    const c = src[i];
    if (isSpace(c)) {
      i++;
      glued = false;
      continue;
    }
    const pos = i;
    if (c === "." && (i + 1 >= end || !isAlnum(src[i + 1]))) {
      toks.push({ t: "dot", pos, glued });
      i++;
    } else if (c === "." && /[0-9]/.test(src[i + 1]) && !glued) {
      const j = word(i + 1);
      toks.push({ t: "num", v: Number(src.slice(i, j)), pos, glued });
      i = j;
    } else if (c === ".") {
      const j = word(i + 1);
      toks.push({ t: "field", v: src.slice(i + 1, j), pos, glued });
      i = j;
    } else if (c === "$") {
      const j = word(i + 1);
      toks.push({ t: "var", v: src.slice(i, j), pos, glued });
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      while (j < end && src[j] !== '"') {
        if (src[j] === "\\") j++;
        if (src[j] === "\n") fail(src, pos, "unterminated quoted string");
        j++;
      }
      if (j >= end) fail(src, pos, "unterminated quoted string");
      let v: string;
      try {
        v = JSON.parse(src.slice(i, j + 1));
      } catch (err) {
        // Go accepts a few escapes JSON does not (\a, \x41); refuse them plainly
        if (!(err instanceof SyntaxError)) throw err;
        fail(src, pos, `bad string syntax: ${src.slice(i, j + 1)}`);
      }
      toks.push({ t: "str", v, pos, glued });
      i = j + 1;
    } else if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0 || j >= end) fail(src, pos, "unterminated raw quoted string");
      toks.push({ t: "str", v: src.slice(i + 1, j), pos, glued });
      i = j + 1;
    } else if (c === "'") {
      const m = /^'(\\.|[^\\'])'/u.exec(src.slice(i, end));
      if (!m) fail(src, pos, "unterminated character constant");
      const ch = m[1].startsWith("\\") ? JSON.parse(`"${m[1]}"`) as string : m[1];
      toks.push({ t: "num", v: ch.codePointAt(0)!, pos, glued });
      i += m[0].length;
    } else if (/[0-9+-]/.test(c)) {
      const m = /^[+-]?(0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][+-]?[0-9]+)?)/.exec(
        src.slice(i, end),
      );
      if (!m || m[0] === "+" || m[0] === "-") fail(src, pos, `bad number syntax: "${c}"`);
      const n = Number(m[0].replaceAll("_", ""));
      if (Number.isNaN(n)) fail(src, pos, `bad number syntax: "${m[0]}"`);
      toks.push({ t: "num", v: n, pos, glued });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const j = word(i);
      toks.push({ t: "ident", v: src.slice(i, j), pos, glued });
      i = j;
    } else if (c === ":" && src[i + 1] === "=") {
      toks.push({ t: ":=", pos, glued });
      i += 2;
    } else if (c === "(" || c === ")" || c === "|" || c === "=" || c === ",") {
      toks.push({ t: c, pos, glued });
      i++;
    } else {
      const cp = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      fail(
        src,
        pos,
        c === "}"
          ? `unexpected "}" in operand`
          : `unrecognized character in action: U+${cp} '${c}'`,
      );
    }
    glued = true;
  }
  return toks;
}

/** One raw piece of the template: text or the tokens of one action. */
export type Piece = { text: string } | { toks: Tok[]; pos: number; end: number };

/** Split `src` into text and lexed actions (comments dropped). */
export function split(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    if (open < 0) {
      if (text) pieces.push({ text });
      break;
    }
    let start = open + 2;
    if (src[start] === "-" && isSpace(src[start + 1] ?? "")) {
      text = text.replace(/[ \t\r\n]+$/, "");
      start += 2;
    }
    if (text) pieces.push({ text });
    // find the closing braces outside quotes
    let j = start;
    let close = -1;
    while (j < src.length) {
      const c = src[j];
      if (c === '"' || c === "`") {
        const q = c;
        j++;
        while (j < src.length && src[j] !== q) {
          if (q === '"' && src[j] === "\n") break;
          j += src[j] === "\\" && q === '"' ? 2 : 1;
        }
        if (j >= src.length || src[j] !== q) {
          fail(
            src,
            open,
            q === '"' ? "unterminated quoted string" : "unterminated raw quoted string",
          );
        }
        j++;
        continue;
      }
      if (src.startsWith("}}", j)) {
        close = j;
        break;
      }
      j++;
    }
    if (close < 0) fail(src, open, "unclosed action");
    let end = close;
    trimNext = false;
    if (src[close - 1] === "-" && close - 2 >= start && isSpace(src[close - 2])) {
      end = close - 2;
      trimNext = true;
    }
    const inner = src.slice(start, end).trim();
    if (inner.startsWith("/*")) {
      if (!inner.endsWith("*/")) fail(src, open, "unclosed comment");
    } else pieces.push({ toks: lexAction(src, start, end), pos: open, end });
    i = close + 2;
  }
  return pieces;
}
