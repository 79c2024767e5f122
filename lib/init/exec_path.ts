/**
 * Find the command to exec the way execvp does, inside the (pivoted) root,
 * and map failures to docker's exit codes: 127 not found, 126 not runnable.
 * @module
 */

import { EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, TsboxError } from "../errors.ts";

/** Stat function (injected so tests need no rootfs). */
export type StatFn = (path: string) => { isFile: boolean; mode: number | null } | undefined;

/** Real stat that follows symlinks; undefined when missing. */
export function statPath(path: string): { isFile: boolean; mode: number | null } | undefined {
  try {
    const st = Deno.statSync(path);
    return { isFile: st.isFile, mode: st.mode };
  } catch (err) {
    // a missing file or a broken path component both mean "not here"
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Resolve `cmd` against PATH (from the container env).
 * @throws {TsboxError} exit 127 when not found, 126 when found but not executable.
 */
export function findExecutable(cmd: string, env: string[], stat: StatFn = statPath): string {
  if (cmd === "") {
    throw new TsboxError(`exec: "": executable file not found in $PATH`, {
      exitCode: EXIT_NOT_FOUND,
    });
  }
  const check = (p: string): string | undefined => {
    const st = stat(p);
    if (!st) return undefined;
    if (!st.isFile || ((st.mode ?? 0) & 0o111) === 0) {
      throw new TsboxError(`exec: "${cmd}": permission denied`, { exitCode: EXIT_CANNOT_EXEC });
    }
    return p;
  };
  if (cmd.includes("/")) {
    const found = check(cmd);
    if (!found) {
      throw new TsboxError(`exec: "${cmd}": no such file or directory`, {
        exitCode: EXIT_NOT_FOUND,
      });
    }
    return found;
  }
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  let denied: TsboxError | undefined;
  for (const dir of pathVar.split(":")) {
    try {
      const found = check(`${dir || "."}/${cmd}`);
      if (found) return found;
    } catch (err) {
      // like execvp: remember EACCES and keep searching later PATH entries
      if (err instanceof TsboxError && err.exitCode === EXIT_CANNOT_EXEC) denied = err;
      else throw err;
    }
  }
  if (denied) throw denied;
  throw new TsboxError(`exec: "${cmd}": executable file not found in $PATH`, {
    exitCode: EXIT_NOT_FOUND,
  });
}

/** docker's default PATH when the image sets none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
