/**
 * Whether a `tsbox run`'s arguments surely fit the init main.ts spawns
 * ahead (lib/container/run_ahead.ts): a look at the words, pure and small,
 * so that main.ts loads the spawn's modules only for a run that can use
 * them (not for `run -d`, `-it` or a user namespace: a 46 KB bundle file).
 * @module
 */

/** Long flags that change the init's shape or stdio, or end in another path. */
const LONG = new Set([
  "detach",
  "interactive",
  "tty",
  "attach",
  "pid",
  "userns",
  "uidmap",
  "gidmap",
  "restart",
  "help",
]);

/** Short flags that do (`-d`, `-i`, `-t`, `-a`), alone or in a cluster such as `-it`. */
const SHORT = /^-[A-Za-z]*[adit]/;

/**
 * Whether `args` (run's, after the command word) surely ask for the plain
 * shape with the default stdio. False when in doubt.
 */
export function fitsAhead(args: readonly string[], env: Record<string, string>): boolean {
  if (env.TSBOX_EARLY_INIT === "0" || (env.TSBOX_USERNS ?? "") !== "") return false;
  for (const a of args) {
    if (a.startsWith("--")) {
      if (LONG.has(a.slice(2).split("=")[0])) return false;
    } else if (SHORT.test(a)) return false;
  }
  return true;
}
