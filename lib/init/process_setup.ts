/**
 * What the init and `exec` both do to turn a `ProcessSpec` into something
 * to execve, once inside the container's mount namespace: resolve the user
 * in the image's /etc/passwd and /etc/group, complete the environment
 * (HOSTNAME, HOME, TERM, as docker sets them), check the working directory
 * and find the executable on PATH. Sync only.
 * @module
 */

import type { ProcessSpec } from "../container/types.ts";
import type { Process } from "../oci/spec.ts";
import { TsboxError } from "../errors.ts";
import { readTextIfExists } from "../fsutil.ts";
import { type Credentials, parsePasswd, resolveUser } from "./user.ts";
import { findExecutable } from "./exec_path.ts";
import { withAddedGroups } from "./group_add.ts";

/** The process, resolved. */
export interface ResolvedProcess {
  creds: Credentials;
  env: string[];
  exe: string;
}

/** A file of the image, "" when it has none (images without /etc/passwd are fine). */
function readIfExists(path: string): string {
  return readTextIfExists(path) ?? "";
}

/** HOSTNAME / HOME / TERM defaults, as docker sets them. Pure. */
export function finalEnv(env: string[], home: string, hostname: string, tty: boolean): string[] {
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  const out = [...env];
  if (!has("HOSTNAME")) out.push(`HOSTNAME=${hostname}`);
  if (!has("HOME")) out.push(`HOME=${home}`);
  if (tty && !has("TERM")) out.push("TERM=xterm");
  return out;
}

/**
 * Resolve `p` against the filesystem now at `/` (the container's).
 * @throws {TsboxError} unknown user (126 as docker exec / 125 run), relative cwd,
 *   no command (125), command not found (127) or not executable (126).
 */
export function resolveProcess(p: ProcessSpec, hostname: string): ResolvedProcess {
  const group = readIfExists("/etc/group");
  const creds = withAddedGroups(
    resolveUser(p.user, readIfExists("/etc/passwd"), group),
    p.groupAdd ?? [],
    group,
  );
  return resolved(creds, finalEnv(p.env, creds.home, hostname, p.tty), p.cwd, p.args);
}

/** The checks both resolutions end with: absolute cwd, a command, found on PATH. */
function resolved(creds: Credentials, env: string[], cwd: string, args: string[]): ResolvedProcess {
  if (!cwd.startsWith("/")) {
    throw new TsboxError(
      `the working directory '${cwd}' is invalid, it needs to be an absolute path`,
    );
  }
  if (args.length === 0) throw new TsboxError("no command specified");
  return { creds, env, exe: findExecutable(args[0], env) };
}

/**
 * Resolve an OCI `process` against the filesystem now at `/`: numeric
 * `user`, or `userName` (tsbox's `-u name`) looked up in the image; HOME
 * from /etc/passwd when the env has none (as runc does).
 * @throws {TsboxError} as `resolveProcess`.
 */
export function resolveOciProcess(
  p: Process,
  userName?: string,
  groupAdd: string[] = [],
): ResolvedProcess {
  const passwd = readIfExists("/etc/passwd");
  let creds: Credentials;
  if (userName) creds = resolveUser(userName, passwd, readIfExists("/etc/group"));
  else {
    const home = parsePasswd(passwd).find((e) => e.uid === p.user.uid)?.home ?? "/";
    creds = { uid: p.user.uid, gid: p.user.gid, groups: p.user.additionalGids ?? [], home };
  }
  if (groupAdd.length) creds = withAddedGroups(creds, groupAdd, readIfExists("/etc/group"));
  const env = [...(p.env ?? [])];
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${creds.home}`);
  return resolved(creds, env, p.cwd, p.args ?? []);
}
