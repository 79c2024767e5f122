/**
 * Parser of Go's text/template language, the subset docker's `--format`
 * strings use: text, `{{pipeline}}`, trim markers `{{-`/`-}}`, comments,
 * fields `.A.B`, variables `$x` (`:=`, `=`), string/number/bool/nil
 * literals, function calls, `|` pipelines, parentheses, and the actions
 * `if`/`else if`/`else`, `range` (with `$i, $v :=`, `break`, `continue`),
 * `with`, `end`. `define`/`template`/`block` are refused. Pure.
 * @module
 */

import { fail, type Piece, split, type Tok } from "./lex.ts";

/** One operand of a command. */
export type Operand =
  | { k: "dot"; pos: number }
  | { k: "field"; names: string[]; pos: number; src: string }
  | { k: "var"; name: string; names: string[]; pos: number; src: string }
  | { k: "ident"; name: string; pos: number }
  | { k: "str"; v: string; pos: number }
  | { k: "num"; v: number; pos: number }
  | { k: "bool"; v: boolean; pos: number }
  | { k: "nil"; pos: number }
  | { k: "pipe"; pipe: Pipe; names: string[]; pos: number; src: string };

/** A command: its operands; the first is what is called or evaluated. */
export interface Cmd {
  args: Operand[];
  pos: number;
  src: string;
}

/** `$a, $b := cmd | cmd`. */
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
}

/** A node of the parsed template. */
export type Node =
  | { k: "text"; text: string }
  | { k: "action"; pipe: Pipe }
  | { k: "if" | "with"; pipe: Pipe; body: Node[]; else?: Node[] }
  | { k: "range"; pipe: Pipe; body: Node[]; else?: Node[] }
  | { k: "break" | "continue"; pos: number };

/** A parsed template and its source (for error positions). */
export interface Template {
  nodes: Node[];
  src: string;
}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "break", "continue"]);
const REFUSED = new Set(["define", "template", "block"]);

/** Recursive-descent parser over the pieces. */
class Parser {
  private at = 0;
  private ranges = 0;
  constructor(private src: string, private pieces: Piece[]) {}

  parse(): Node[] {
    const { nodes, stop } = this.list();
    if (stop) fail(this.src, stop.pos, `unexpected {{${stop.word}}}`);
    return nodes;
  }

  /** Nodes up to an `else`/`end` (returned as `stop`) or the end of input. */
  private list(): {
    nodes: Node[];
    stop?: { word: "else" | "end"; pos: number; end: number; toks: Tok[] };
  } {
    const nodes: Node[] = [];
    while (this.at < this.pieces.length) {
      const p = this.pieces[this.at++];
      if ("text" in p) {
        nodes.push({ k: "text", text: p.text });
        continue;
      }
      const first = p.toks[0];
      if (!first) fail(this.src, p.pos, "missing value for command");
      if (first.t === "ident" && REFUSED.has(first.v)) {
        fail(this.src, p.pos, `{{${first.v}}} is not supported by tsbox`);
      }
      if (first.t === "ident" && (first.v === "else" || first.v === "end")) {
        if (first.v === "end" && p.toks.length > 1) {
          fail(this.src, p.pos, "unexpected tokens after end");
        }
        return { nodes, stop: { word: first.v, pos: p.pos, end: p.end, toks: p.toks.slice(1) } };
      }
      if (first.t === "ident" && (first.v === "if" || first.v === "with")) {
        nodes.push(this.control(first.v, p.toks.slice(1), p.pos, p.end));
      } else if (first.t === "ident" && first.v === "range") {
        this.ranges++;
        nodes.push(this.control("range", p.toks.slice(1), p.pos, p.end));
        this.ranges--;
      } else if (first.t === "ident" && (first.v === "break" || first.v === "continue")) {
        if (!this.ranges) fail(this.src, p.pos, `{{${first.v}}} outside {{range}}`);
        if (p.toks.length > 1) fail(this.src, p.pos, `unexpected tokens after ${first.v}`);
        nodes.push({ k: first.v, pos: p.pos });
      } else nodes.push({ k: "action", pipe: this.pipe(p.toks, p.pos, p.end, true) });
    }
    return { nodes };
  }

  private control(k: "if" | "with" | "range", toks: Tok[], pos: number, end: number): Node {
    if (!toks.length) fail(this.src, pos, `missing value for ${k}`);
    const pipe = this.pipe(toks, pos, end, k === "range" ? "range" : true);
    const body = this.list();
    if (!body.stop) fail(this.src, this.src.length, "unexpected EOF");
    let elseNodes: Node[] | undefined;
    if (body.stop.word === "else") {
      const rest = body.stop.toks;
      if (rest.length && rest[0].t === "ident" && (rest[0].v === "if" || rest[0].v === "with")) {
        // `else if …` is an if nested in the else branch, sharing our {{end}}
        elseNodes = [this.control(rest[0].v, rest.slice(1), body.stop.pos, body.stop.end)];
      } else {
        if (rest.length) fail(this.src, body.stop.pos, "unexpected tokens after else");
        const tail = this.list();
        if (!tail.stop) fail(this.src, this.src.length, "unexpected EOF");
        if (tail.stop.word !== "end") fail(this.src, tail.stop.pos, "expected end; found {{else}}");
        elseNodes = tail.nodes;
      }
    }
    return { k, pipe, body: body.nodes, else: elseNodes };
  }

  /** `decl := cmd | cmd …`; `range` allows two declared variables. */
  private pipe(toks: Tok[], pos: number, end: number, declOk: boolean | "range"): Pipe {
    let i = 0;
    const decl: string[] = [];
    let assign = false;
    // look ahead for `$x :=`, `$x =` or (range) `$i, $v :=`
    const isDecl = (j: number) =>
      toks[j]?.t === "var" && (toks[j + 1]?.t === ":=" || toks[j + 1]?.t === "=");
    if (declOk && isDecl(0)) {
      decl.push((toks[0] as { v: string }).v);
      assign = toks[1].t === "=";
      i = 2;
    } else if (
      declOk === "range" && toks[0]?.t === "var" && toks[1]?.t === "," && isDecl(2)
    ) {
      decl.push((toks[0] as { v: string }).v, (toks[2] as { v: string }).v);
      i = 4;
    }
    const cmds: Cmd[] = [];
    let cur: Operand[] = [];
    let cmdStart = toks[i]?.pos ?? pos;
    const finish = (at: number) => {
      if (!cur.length) fail(this.src, at, "missing value for command");
      cmds.push({ args: cur, pos: cmdStart, src: this.src.slice(cmdStart, at).trim() });
      cur = [];
    };
    while (i < toks.length) {
      const t = toks[i];
      if (t.t === "|") {
        i++;
        finish(t.pos);
        cmdStart = toks[i]?.pos ?? t.pos;
        continue;
      }
      if (t.t === ")") fail(this.src, t.pos, "unexpected right paren");
      const [op, next] = this.operand(toks, i);
      cur.push(op);
      i = next;
    }
    finish(end);
    for (const c of cmds.slice(1)) {
      const f = c.args[0];
      if (f.k !== "ident" && f.k !== "field" && f.k !== "var") {
        fail(this.src, c.pos, `non executable command in pipeline stage 2`);
      }
    }
    return { decl, assign, cmds, pos };
  }

  /** One operand starting at `toks[i]`, with any `.Field` chain glued to it. */
  private operand(toks: Tok[], i: number): [Operand, number] {
    const t = toks[i];
    let op: Operand;
    let j = i + 1;
    switch (t.t) {
      case "dot":
        op = { k: "dot", pos: t.pos };
        break;
      case "field": {
        const names = [t.v];
        while (toks[j]?.t === "field" && toks[j].glued) names.push((toks[j++] as { v: string }).v);
        op = { k: "field", names, pos: t.pos, src: "." + names.join(".") };
        return [op, j];
      }
      case "var": {
        const names: string[] = [];
        while (toks[j]?.t === "field" && toks[j].glued) names.push((toks[j++] as { v: string }).v);
        op = { k: "var", name: t.v, names, pos: t.pos, src: [t.v, ...names].join(".") };
        return [op, j];
      }
      case "ident":
        if (t.v === "true" || t.v === "false") op = { k: "bool", v: t.v === "true", pos: t.pos };
        else if (t.v === "nil") op = { k: "nil", pos: t.pos };
        else if (KEYWORDS.has(t.v)) fail(this.src, t.pos, `unexpected <${t.v}> in command`);
        else op = { k: "ident", name: t.v, pos: t.pos };
        break;
      case "str":
        op = { k: "str", v: t.v, pos: t.pos };
        break;
      case "num":
        op = { k: "num", v: t.v, pos: t.pos };
        break;
      case "(": {
        let depth = 1;
        let k = j;
        for (; k < toks.length; k++) {
          if (toks[k].t === "(") depth++;
          if (toks[k].t === ")" && --depth === 0) break;
        }
        if (k >= toks.length) fail(this.src, t.pos, "unclosed left paren");
        const pipe = this.pipe(toks.slice(j, k), t.pos, toks[k].pos, false);
        j = k + 1;
        const names: string[] = [];
        while (toks[j]?.t === "field" && toks[j].glued) names.push((toks[j++] as { v: string }).v);
        const src = this.src.slice(t.pos, toks[k].pos + 1) + names.map((n) => "." + n).join("");
        return [{ k: "pipe", pipe, names, pos: t.pos, src }, j];
      }
      default:
        fail(this.src, t.pos, `unexpected "${t.t}" in operand`);
    }
    if (toks[j]?.t === "field" && toks[j].glued) {
      fail(
        this.src,
        toks[j].pos,
        `unexpected . after term "${this.src.slice(t.pos, toks[j].pos)}"`,
      );
    }
    return [op, j];
  }
}

/**
 * Parse `src`. Function names are checked against `known` (Go refuses an
 * undefined function at parse time, so does this).
 * @throws {TemplateError} `template: :LINE: …` in Go's wording.
 */
export function parseTemplate(src: string, known: Set<string>): Template {
  const nodes = new Parser(src, split(src)).parse();
  const check = (list: Node[]): void => {
    for (const n of list) {
      if (n.k === "action") checkPipe(n.pipe);
      else if (n.k === "if" || n.k === "with" || n.k === "range") {
        checkPipe(n.pipe);
        check(n.body);
        if (n.else) check(n.else);
      }
    }
  };
  const checkPipe = (p: Pipe): void => {
    for (const c of p.cmds) {
      for (const a of c.args) {
        if (a.k === "ident" && !known.has(a.name)) {
          fail(src, a.pos, `function "${a.name}" not defined`);
        }
        if (a.k === "pipe") checkPipe(a.pipe);
      }
    }
  };
  check(nodes);
  return { nodes, src };
}
