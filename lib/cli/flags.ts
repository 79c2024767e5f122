/**
 * Docker-style flag parsing: `--flag value`, `--flag=value`, `-f value`,
 * `-fvalue`, combined booleans (`-it`), repeated flags (`-e A -e B`), and
 * stopping at the first positional (the IMAGE of `run`) when asked.
 * `node:util` parseArgs cannot stop at a positional, hence this small parser.
 * @module
 */

import { FlagError } from "../errors.ts";

/** Definition of one flag. */
export interface FlagDef {
  /** Long name without dashes (`memory`). */
  name: string;
  /** One-letter alias (`m`). */
  short?: string;
  /** `bool` takes no value; `string` keeps the last; `list` keeps all. */
  type: "bool" | "string" | "list";
  /** Extra long aliases. */
  aliases?: string[];
}

/** Result: flag values by long name plus positionals. */
export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parse `args` against `defs`.
 * @param stopAtPositional when true, the first positional and everything after it are positionals.
 * @throws {FlagError} unknown flag or missing value (exit 125, as docker).
 */
export function parseFlags(args: string[], defs: FlagDef[], stopAtPositional = false): ParsedFlags {
  const byLong = new Map<string, FlagDef>();
  const byShort = new Map<string, FlagDef>();
  for (const d of defs) {
    byLong.set(d.name, d);
    for (const a of d.aliases ?? []) byLong.set(a, d);
    if (d.short) byShort.set(d.short, d);
  }
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const set = (d: FlagDef, v: string | boolean) => {
    if (d.type === "list") ((values[d.name] ??= []) as string[]).push(String(v));
    else values[d.name] = v;
  };
  let i = 0;
  const need = (shown: string): string => {
    if (i + 1 >= args.length) throw new FlagError(`flag needs an argument: ${shown}`);
    return args[++i];
  };
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const d = byLong.get(name);
      if (!d) throw new FlagError(`unknown flag: --${name}`, { hint: "see 'tsbox --help'" });
      if (d.type === "bool") {
        const v = eq < 0 ? "true" : a.slice(eq + 1);
        if (v !== "true" && v !== "false") {
          throw new FlagError(`invalid value "${v}" for flag --${name}: expected true or false`);
        }
        set(d, v === "true");
      } else set(d, eq < 0 ? need(`--${name}`) : a.slice(eq + 1));
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      // combined short flags: -it, -e=K, -eK=V, -p80:80
      for (let j = 1; j < a.length; j++) {
        const d = byShort.get(a[j]);
        if (!d) {
          throw new FlagError(`unknown shorthand flag: '${a[j]}' in ${a}`, {
            hint: "see 'tsbox --help'",
          });
        }
        if (d.type === "bool") {
          // -H=false, as pflag accepts for a boolean shorthand
          if (a[j + 1] === "=") {
            const v = a.slice(j + 2);
            if (v !== "true" && v !== "false") {
              throw new FlagError(`invalid value "${v}" for flag -${a[j]}: expected true or false`);
            }
            set(d, v === "true");
            break;
          }
          set(d, true);
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        set(d, rest.length ? rest : need(`-${a[j]}`));
        break;
      }
      continue;
    }
    if (stopAtPositional) {
      positionals.push(...args.slice(i));
      break;
    }
    positionals.push(a);
  }
  return { values, positionals };
}

/** Typed accessors over `ParsedFlags.values`. */
export function str(p: ParsedFlags, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}
/** All values of a list flag (empty when absent). */
export function list(p: ParsedFlags, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : [];
}
/** A boolean flag. */
export function bool(p: ParsedFlags, name: string): boolean {
  return p.values[name] === true;
}
