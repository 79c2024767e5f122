/**
 * Test helper: add subordinate id entries to /etc/subuid and /etc/subgid
 * for the duration of a test, then put both files back exactly as they
 * were (or remove them if they did not exist).
 * @module
 */

const FILES = ["/etc/subuid", "/etc/subgid"];

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null; // restored by removing it
    throw err;
  }
}

/** Run `fn` with `lines` (`name:start:count`) appended to both files. Requires root. */
export async function withSubids<T>(lines: string[], fn: () => Promise<T>): Promise<T> {
  const saved = FILES.map(readOrNull);
  try {
    for (const [i, f] of FILES.entries()) {
      const before = saved[i] ?? "";
      const sep = before && !before.endsWith("\n") ? "\n" : "";
      Deno.writeTextFileSync(f, before + sep + lines.map((l) => l + "\n").join(""));
    }
    return await fn();
  } finally {
    for (const [i, f] of FILES.entries()) {
      const s = saved[i];
      if (s === null) Deno.removeSync(f);
      else Deno.writeTextFileSync(f, s);
    }
  }
}
