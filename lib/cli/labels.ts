/**
 * `--label K=V` / `--label K` (run, create, volume create, network create)
 * and `--label-file FILE` (run, create) as docker reads them: file lines are labels,
 * blank lines and `#` comments skipped; later values win; a label alone
 * has the empty value.
 * @module
 */

import { FlagError, UsageError } from "../errors.ts";

/** Split `K=V` (`K` alone → ""); undefined for an empty key. */
function splitLabel(item: string): [string, string] | undefined {
  const eq = item.indexOf("=");
  const k = eq < 0 ? item : item.slice(0, eq);
  if (k.trim() === "") return undefined;
  return [k, eq < 0 ? "" : item.slice(eq + 1)];
}

/**
 * Labels from `--label-file` files (read first) then `--label` flags.
 * @throws {FlagError} a `--label` without a name (docker's flag validator: exit 125).
 * @throws {UsageError} an unreadable file or a file line without a name.
 */
export function parseLabels(labels: string[], files: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(f);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      throw new UsageError(`open ${f}: no such file or directory`);
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (l === "" || l.startsWith("#")) return;
      const kv = splitLabel(l);
      if (!kv) throw new UsageError(`invalid label '${l}' in ${f} line ${i + 1}: empty name`);
      out[kv[0]] = kv[1];
    });
  }
  for (const l of labels) {
    const kv = splitLabel(l);
    if (!kv) {
      throw new FlagError(
        `invalid argument "${l}" for "-l, --label" flag: invalid label '${l}': empty name`,
      );
    }
    out[kv[0]] = kv[1];
  }
  return out;
}
