/**
 * A TAP 13 reader for the OCI runtime-tools validation programs: top-level
 * `ok`/`not ok` lines and the `1..N` plan (YAML diagnostics are indented and
 * ignored). The exit status is one more assertion: a program that exits
 * non-zero (util.Fatal, a `*_fail` program whose runtime accepted a bad
 * config) or prints fewer results than planned adds one failure named after
 * the program, and a `*_fail` program that exits 0 without TAP (the runtime
 * refused the config, as it must) one pass. So a runtime that crashes a
 * whole program never scores better than one that fails a single check.
 * @module
 */

/** One top-level TAP result line. */
export interface TapResult {
  /** `ok` (true) or `not ok` (false). */
  ok: boolean;
  /** Test number as printed. */
  n: number;
  /** Description after ` - ` (without the directive). */
  name: string;
  /** `# SKIP` directive present. */
  skip: boolean;
  /** `# TODO` directive present. */
  todo: boolean;
}

/** A parsed TAP stream. */
export interface TapDocument {
  results: TapResult[];
  /** N of the `1..N` plan line, or undefined when no plan was printed. */
  plan?: number;
}

/** Assertion counts of one program or one whole run. */
export interface TapTally {
  passed: number;
  failed: number;
  skipped: number;
  /** Failed assertion names, `program: #n name`. */
  failures: string[];
}

const RESULT = /^(not )?ok\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$/i;
// The suite's Go TAP writer ends the plan without a newline, so the next
// stderr-less output may share its line ("1..307stat …"): match the prefix only.
const PLAN = /^1\.\.(\d+)/;

/** Parse TAP text (top-level lines only). */
export function parseTap(text: string): TapDocument {
  const doc: TapDocument = { results: [] };
  for (const line of text.split("\n")) {
    const plan = PLAN.exec(line);
    if (plan) {
      doc.plan = Number(plan[1]);
      continue;
    }
    const m = RESULT.exec(line);
    if (!m) continue;
    const directive = (m[4] ?? "").toUpperCase();
    doc.results.push({
      ok: !m[1],
      n: m[2] ? Number(m[2]) : doc.results.length + 1,
      name: directive === "SKIP" && !m[3] ? (m[5] ?? "").trim() : m[3].trim(),
      skip: directive === "SKIP",
      todo: directive === "TODO",
    });
  }
  return doc;
}

/** How a validation program ended. */
export interface ProgramExit {
  /** Exit status 0. */
  success: boolean;
  /** For messages: "exit 1", "timeout after 120 s". */
  how: string;
}

/** Count one program's results and its exit status (see the module doc). */
export function tallyProgram(program: string, doc: TapDocument, exit: ProgramExit): TapTally {
  const t: TapTally = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const r of doc.results) {
    if (r.skip) t.skipped++;
    else if (r.ok || r.todo) t.passed++;
    else {
      t.failed++;
      t.failures.push(`${program}: #${r.n} ${r.name}`);
    }
  }
  const planned = doc.plan ?? 0;
  if (!exit.success) {
    // the *_fail programs and util.Fatal report through the exit status alone
    t.failed++;
    t.failures.push(`${program}: ${exit.how} after ${doc.results.length} results`);
  } else if (doc.results.length === 0 && doc.plan === undefined) {
    // a *_fail program whose runtime refused the bad config as it must
    t.passed++;
  } else if (doc.plan === undefined || doc.results.length < planned) {
    t.failed++;
    t.failures.push(`${program}: ${doc.results.length} of ${doc.plan ?? "?"} results`);
  }
  return t;
}

/** Sum tallies. */
export function addTallies(tallies: TapTally[]): TapTally {
  const sum: TapTally = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const t of tallies) {
    sum.passed += t.passed;
    sum.failed += t.failed;
    sum.skipped += t.skipped;
    sum.failures.push(...t.failures);
  }
  return sum;
}
