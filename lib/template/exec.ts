/**
 * Executor of a parsed template against data, with text/template's
 * semantics: `.` and `$`, variables scoped to their control block, a
 * missing key is an error (docker runs inspect templates with
 * `missingkey=error`), a function-valued field is a method
 * (`{{.Label "k"}}`), `and`/`or` short-circuit. Pure.
 * @module
 */

import { TemplateError } from "../errors.ts";
import type { Cmd, Node, Operand, Pipe, Template } from "./parse.ts";
import { lineOf } from "./lex.ts";
import { goString, goType, truth } from "./go_value.ts";
import { FUNCS, type TemplateFunc } from "./funcs.ts";

/** How to execute. */
export interface ExecOptions {
  /** Function table (default: FUNCS). */
  funcs?: Record<string, TemplateFunc>;
  /** Name of the data's type for "can't evaluate field X in type T" (a struct-like row). */
  typeName?: string;
  /** A missing key yields `<no value>` instead of failing (header rendering). */
  lenient?: boolean;
}

const NONE: unique symbol = Symbol("no final value");
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

class Failure extends Error {
  constructor(readonly pos: number, readonly at: string, message: string) {
    super(message);
  }
}

class Exec {
  out: string[] = [];
  vars: { name: string; value: unknown }[];
  funcs: Record<string, TemplateFunc>;

  constructor(private root: unknown, private opts: ExecOptions) {
    this.vars = [{ name: "$", value: root }];
    this.funcs = opts.funcs ?? FUNCS;
  }

  walk(nodes: Node[], dot: unknown): void {
    for (const n of nodes) {
      switch (n.k) {
        case "text":
          this.out.push(n.text);
          break;
        case "action": {
          const v = this.pipe(n.pipe, dot);
          if (!n.pipe.decl.length) this.out.push(goString(v));
          break;
        }
        case "if":
        case "with": {
          const mark = this.vars.length;
          const v = this.pipe(n.pipe, dot);
          if (truth(v)) this.walk(n.body, n.k === "with" ? v : dot);
          else if (n.else) this.walk(n.else, dot);
          this.vars.length = mark;
          break;
        }
        case "range":
          this.range(n, dot);
          break;
        case "break":
          throw BREAK;
        case "continue":
          throw CONTINUE;
      }
    }
  }

  private range(n: Extract<Node, { k: "range" }>, dot: unknown): void {
    const mark = this.vars.length;
    const v = this.pipe({ ...n.pipe, decl: [] }, dot);
    let items: [unknown, unknown][];
    if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
    else if (typeof v === "number" && Number.isInteger(v)) {
      items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    } else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      items = Object.keys(o).sort().map((k) => [k, o[k]]);
    } else if (v === undefined || v === null) items = [];
    else {
      throw new Failure(n.pipe.pos, "range", `range can't iterate over ${goString(v)}`);
    }
    if (!items.length) {
      if (n.else) this.walk(n.else, dot);
      this.vars.length = mark;
      return;
    }
    for (const [k, x] of items) {
      if (n.pipe.decl.length === 1) this.vars.push({ name: n.pipe.decl[0], value: x });
      if (n.pipe.decl.length === 2) {
        this.vars.push({ name: n.pipe.decl[0], value: k }, { name: n.pipe.decl[1], value: x });
      }
      try {
        this.walk(n.body, x);
      } catch (sig) {
        if (sig === BREAK) {
          this.vars.length = mark;
          break;
        }
        if (sig !== CONTINUE) throw sig;
      }
      this.vars.length = mark;
    }
  }

  pipe(p: Pipe, dot: unknown): unknown {
    let v: unknown = NONE;
    p.cmds.forEach((c, i) => (v = this.cmd(c, dot, i === 0 ? NONE : v)));
    if (p.decl.length) {
      const name = p.decl[0];
      if (p.assign) {
        const slot = this.vars.findLast((x) => x.name === name);
        if (!slot) throw new Failure(p.pos, name, `undefined variable: ${name}`);
        slot.value = v;
      } else this.vars.push({ name, value: v });
    }
    return v;
  }

  private arg(op: Operand, dot: unknown): unknown {
    return this.cmd({ args: [op], pos: op.pos, src: "src" in op ? op.src : "" }, dot, NONE);
  }

  private cmd(c: Cmd, dot: unknown, final: unknown): unknown {
    const [first, ...rest] = c.args;
    const hasArgs = rest.length > 0 || final !== NONE;
    switch (first.k) {
      case "ident":
        return this.call(c, first.name, rest, dot, final);
      case "field":
        return this.chain(dot, first.names, first, rest, dot, final, dot === this.root);
      case "var": {
        const slot = this.vars.findLast((x) => x.name === first.name);
        if (!slot) throw new Failure(first.pos, first.src, `undefined variable: ${first.name}`);
        if (first.names.length) {
          return this.chain(slot.value, first.names, first, rest, dot, final, first.name === "$");
        }
        if (hasArgs) {
          throw new Failure(
            first.pos,
            first.src,
            `can't give argument to non-function ${first.src}`,
          );
        }
        return slot.value;
      }
      case "pipe": {
        const base = this.pipe(first.pipe, dot);
        if (first.names.length) {
          return this.chain(base, first.names, first, rest, dot, final, false);
        }
        if (hasArgs) {
          throw new Failure(
            first.pos,
            first.src,
            `can't give argument to non-function ${first.src}`,
          );
        }
        return base;
      }
      case "nil":
        throw new Failure(first.pos, "nil", "nil is not a command");
      default: {
        const v = first.k === "dot" ? dot : first.v;
        if (hasArgs) {
          throw new Failure(c.pos, c.src, `can't give argument to non-function ${goString(v)}`);
        }
        return v;
      }
    }
  }

  private call(c: Cmd, name: string, ops: Operand[], dot: unknown, final: unknown): unknown {
    if (name === "and" || name === "or") {
      // Go evaluates and/or lazily, stopping at the first deciding operand
      const all: (Operand | typeof NONE)[] = final === NONE ? [...ops] : [...ops, NONE];
      if (!all.length) throw new Failure(c.pos, c.src, `wrong number of args for ${name}`);
      let v: unknown;
      for (const op of all) {
        v = op === NONE ? final : this.arg(op, dot);
        if (truth(v) === (name === "or")) return v;
      }
      return v;
    }
    const fn = this.funcs[name];
    if (!fn) throw new Failure(c.pos, name, `function "${name}" not defined`);
    const args = ops.map((o) => this.arg(o, dot));
    if (final !== NONE) args.push(final);
    try {
      return fn(...args);
    } catch (err) {
      if (!(err instanceof Error) || err instanceof Failure) throw err;
      throw new Failure(c.pos, c.src, err.message);
    }
  }

  /** `.A.B.C` on `v`; the last name may be a method taking `ops` (+ final). */
  private chain(
    v: unknown,
    names: string[],
    node: Operand & { src: string },
    ops: Operand[],
    dot: unknown,
    final: unknown,
    isRoot: boolean,
  ): unknown {
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      if (v === null || v === undefined) {
        if (this.opts.lenient) return;
        throw new Failure(node.pos, node.src, `nil pointer evaluating interface {}.${name}`);
      }
      if (typeof v !== "object" || Array.isArray(v)) {
        throw new Failure(node.pos, node.src, `can't evaluate field ${name} in type ${goType(v)}`);
      }
      const o = v as Record<string, unknown>;
      if (!Object.hasOwn(o, name)) {
        if (this.opts.lenient) {
          v = undefined;
          return;
        }
        throw new Failure(
          node.pos,
          node.src,
          isRoot && i === 0 && this.opts.typeName
            ? `can't evaluate field ${name} in type ${this.opts.typeName}`
            : `map has no entry for key "${name}"`,
        );
      }
      const x = o[name];
      const args = last ? ops.map((op) => this.arg(op, dot)) : [];
      if (last && final !== NONE) args.push(final);
      if (typeof x === "function") {
        if (x.length !== args.length) {
          throw new Failure(
            node.pos,
            node.src,
            `wrong number of args for ${name}: want ${x.length} got ${args.length}`,
          );
        }
        try {
          v = x(...args);
        } catch (err) {
          if (!(err instanceof Error)) throw err;
          throw new Failure(node.pos, node.src, `error calling ${name}: ${err.message}`);
        }
      } else {
        if (args.length) {
          throw new Failure(node.pos, node.src, `${name} is not a method but has arguments`);
        }
        v = x;
      }
    });
    return v;
  }
}

/**
 * Render `t` against `data`.
 * @throws {TemplateError} `template: :L:C: executing "" at <…>: …` as Go words it.
 */
export function execute(t: Template, data: unknown, opts: ExecOptions = {}): string {
  const ex = new Exec(data, opts);
  try {
    ex.walk(t.nodes, data);
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    if (opts.lenient) return ex.out.join("");
    const col = err.pos - (t.src.lastIndexOf("\n", err.pos - 1) + 1);
    throw new TemplateError(
      `template: :${lineOf(t.src, err.pos)}:${col}: executing "" at <${err.at}>: ${err.message}`,
    );
  }
  return ex.out.join("");
}
