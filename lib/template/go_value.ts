/**
 * JavaScript values seen the way Go's fmt and text/template see decoded
 * JSON: `%v` printing (`[a b]`, `map[k:v]`, `<nil>`, `<no value>`),
 * truthiness, type names for error messages, and a `printf` covering the
 * verbs format strings use. Pure.
 * @module
 */

/** Go's type name of a value decoded from JSON, for error messages. */
export function goType(v: unknown): string {
  if (v === undefined) return "<nil>";
  if (v === null) return "interface {}";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "function") return "func";
  return "map[string]interface {}";
}

function goNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) {
    return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : Number.isNaN(n) ? "NaN" : "-Inf";
  }
  // Go's %v of a float64 is strconv 'g' with the shortest repr; exponent past 21 digits
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Go's `%v` of `v` (map keys sorted, functions left out). */
export function goString(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "number") return goNumber(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => typeof o[k] !== "function").sort();
    return `map[${keys.map((k) => `${k}:${goString(o[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** text/template's truth: false, 0, nil, "" and empty lists and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** Go's fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += goString(a);
  });
  return out;
}

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s.padEnd(width);
  if (zero && /^[+-]/.test(s)) return s[0] + s.slice(1).padStart(width - 1, "0");
  return s.padStart(width, zero ? "0" : " ");
}

/** One verb applied to operand `a` (precision `p`, `+` flag), before padding. */
function formatVerb(verb: string, a: unknown, p: number | undefined, plus: boolean): string {
  const bad = () => `%!${verb}(${goType(a)}=${goString(a)})`;
  let s: string;
  switch (verb) {
    case "v":
      s = goString(a);
      break;
    case "s":
      // Go: %s of a number or bool is a bad verb (%!s(int=7))
      s = typeof a === "number" || typeof a === "boolean"
        ? bad()
        : typeof a === "string"
        ? a
        : goString(a);
      if (p !== undefined) s = [...s].slice(0, p).join("");
      break;
    case "q":
      s = typeof a === "string" ? JSON.stringify(a) : bad();
      break;
    case "t":
      s = typeof a === "boolean" ? String(a) : bad();
      break;
    case "d":
      s = typeof a === "number" && Number.isInteger(a)
        ? (plus && a >= 0 ? "+" : "") + String(a)
        : bad();
      break;
    case "x":
    case "X":
    case "o":
    case "b": {
      const base = { x: 16, X: 16, o: 8, b: 2 }[verb];
      if (typeof a === "number" && Number.isInteger(a)) s = a.toString(base);
      else if (typeof a === "string" && base === 16) {
        s = [...new TextEncoder().encode(a)].map((b) => b.toString(16).padStart(2, "0")).join(
          "",
        );
      } else s = bad();
      if (verb === "X") s = s.toUpperCase();
      break;
    }
    case "c":
      s = typeof a === "number" ? String.fromCodePoint(a) : bad();
      break;
    case "f":
    case "F":
    case "e":
    case "g":
      if (typeof a !== "number") s = bad();
      else if (verb === "e") s = a.toExponential(p ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      else if (verb === "g") s = p === undefined ? goNumber(a) : String(Number(a.toPrecision(p)));
      else s = a.toFixed(p ?? 6);
      if (plus && typeof a === "number" && a >= 0) s = "+" + s;
      break;
    default:
      s = `%!${verb}(${goType(a)}=${goString(a)})`;
  }
  return s;
}

/**
 * Go's fmt.Sprintf for the verbs `%v %s %q %d %f %e %g %x %X %o %b %c %t %%`
 * with flags `-+0 ` and width/precision; a wrong or missing operand prints
 * `%!d(string=x)` / `%!d(MISSING)` as Go does.
 */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let ai = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, w, prec, verb] = m;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (ai >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[ai++];
    const width = w === undefined ? undefined : Number(w);
    const p = prec === undefined ? undefined : Number(prec || "0");
    const left = flags.includes("-");
    const zero = flags.includes("0") && !left;
    const plus = flags.includes("+");
    const s = formatVerb(verb, a, p, plus);
    out += pad(s, width, left, zero && verb !== "s" && verb !== "v");
  }
  out += format.slice(last);
  if (ai < args.length) {
    out += `%!(EXTRA ${args.slice(ai).map((a) => `${goType(a)}=${goString(a)}`).join(", ")})`;
  }
  return out;
}
