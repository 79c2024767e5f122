/**
 * Docker's shell-word processing of instruction arguments (moby's
 * `shell.Lex`): `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`,
 * `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`; single quotes are literal,
 * double quotes allow substitution and escape only `"`, `$` and the escape
 * character; outside quotes the escape character makes the next one
 * literal. Quotes are removed. Pure.
 * @module
 */

/** Variable values for substitution. */
export type Vars = ReadonlyMap<string, string>;

/** A substitution that failed (`${X:?msg}`, an unterminated `${`). */
export class WordError extends Error {}

/**
 * Process `text` into words (split at unquoted whitespace).
 * @throws {WordError} bad substitution.
 */
export function processWords(text: string, vars: Vars, escape = "\\"): string[] {
  return new Lexer(text, vars, escape).run(true);
}

/**
 * Process `text` as one word (whitespace kept).
 * @throws {WordError} bad substitution.
 */
export function processWord(text: string, vars: Vars, escape = "\\"): string {
  return new Lexer(text, vars, escape).run(false).join("");
}

class Lexer {
  pos = 0;
  constructor(readonly s: string, readonly vars: Vars, readonly esc: string) {}

  run(split: boolean, stop?: string): string[] {
    const words: string[] = [];
    let cur = "";
    let inWord = false;
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos];
      if (stop !== undefined && ch === stop) break;
      if (split && /\s/.test(ch)) {
        if (inWord) words.push(cur);
        cur = "";
        inWord = false;
        this.pos++;
        continue;
      }
      inWord = true;
      this.pos++;
      if (ch === this.esc) {
        if (this.pos < this.s.length) cur += this.s[this.pos++];
        continue;
      }
      if (ch === "'") cur += this.single();
      else if (ch === '"') cur += this.double();
      else if (ch === "$") cur += this.dollar();
      else cur += ch;
    }
    if (inWord || !split) words.push(cur);
    return words;
  }

  single(): string {
    const end = this.s.indexOf("'", this.pos);
    if (end < 0) {
      throw new WordError("unexpected end of statement while looking for matching single-quote");
    }
    const v = this.s.slice(this.pos, end);
    this.pos = end + 1;
    return v;
  }

  double(): string {
    let out = "";
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos++];
      if (ch === '"') return out;
      if (ch === this.esc) {
        const next = this.s[this.pos];
        if (next === '"' || next === "$" || next === this.esc) {
          out += next;
          this.pos++;
        } else out += ch;
      } else if (ch === "$") out += this.dollar();
      else out += ch;
    }
    throw new WordError("unexpected end of statement while looking for matching double-quote");
  }

  dollar(): string {
    const s = this.s;
    if (s[this.pos] === "{") {
      this.pos++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.pos));
      if (!m) throw new WordError(`bad substitution: missing variable name in \${`);
      const name = m[0];
      this.pos += name.length;
      if (s[this.pos] === "}") {
        this.pos++;
        return this.vars.get(name) ?? "";
      }
      const op = /^(:?[-+?])/.exec(s.slice(this.pos));
      if (!op) throw new WordError(`unsupported modifier in \${${name}${s.slice(this.pos)}`);
      this.pos += op[1].length;
      const word = this.run(false, "}").join("");
      if (s[this.pos] !== "}") throw new WordError(`missing '}' in \${${name}`);
      this.pos++;
      const value = this.vars.get(name);
      const colon = op[1].startsWith(":");
      const set = colon ? value !== undefined && value !== "" : value !== undefined;
      switch (op[1].slice(-1)) {
        case "-":
          return set ? value! : word;
        case "+":
          return set ? word : "";
        default:
          if (!set) throw new WordError(`${name}: ${word || "is not allowed to be unset"}`);
          return value!;
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.pos));
    if (!m) return "$";
    this.pos += m[0].length;
    return this.vars.get(m[0]) ?? "";
  }
}
