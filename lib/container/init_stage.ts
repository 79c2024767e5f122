/**
 * The single-threaded stage in front of the init. The kernel refuses
 * unshare(CLONE_NEWUSER) and setns into a user namespace for a threaded
 * process, and Deno is threaded from birth, so when the container has a
 * user namespace util-linux creates (or joins) it before Deno starts:
 *
 *   new:    unshare --user --keep-caps --pid -- setsid --fork -- <init>
 *   joined: nsenter --user=PATH -- unshare --pid -- setsid --fork -- <init>
 *
 * The PID namespace is made inside the user namespace (so the container
 * can mount its /proc). `setsid --fork` forks the init as PID 1 and exits
 * at once: the init is reparented to us (a child subreaper), so we wait
 * for it and see its real status — unshare's own `--fork` cannot pass on
 * a SIGKILL. The id maps are written by the parent in the handshake.
 * Pure apart from finding the executables.
 * @module
 */

import type { LinuxNamespace } from "../oci/spec.ts";
import { UsageError } from "../errors.ts";

/** How the init is started. */
export interface InitStage {
  /** argv in front of the init's own (empty: Deno spawns the init directly). */
  prefix: string[];
  /** The stage forks the init (as PID 1) and exits: the init reports its pid, we reap it. */
  forks: boolean;
  /**
   * The init reports its pid and waits for the parent's "userns-done" (a
   * user namespace to complete, or just the pid of a forked init, rootless).
   */
  userns: boolean;
  /** The user namespace is new: the parent writes its uid_map/gid_map. */
  newUserns: boolean;
}

const SEARCH = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/** Where system tool `name` is installed, if it is. */
export function findTool(name: string): string | undefined {
  for (const dir of SEARCH) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // not in this dir
    }
  }
  return undefined;
}

/** The path of util-linux tool `name`. @throws {UsageError} not installed. */
export function utilLinux(name: string): string {
  const found = findTool(name);
  if (found) return found;
  throw new UsageError(`user namespaces need util-linux's ${name}(1), which is not installed`, {
    hint: "apt-get install util-linux",
  });
}

/**
 * The stage for a container's namespaces.
 * @throws {UsageError} a combination util-linux cannot set up (new user ns in a joined PID ns).
 */
export function initStage(namespaces: LinuxNamespace[], rootless = false): InitStage {
  const user = namespaces.find((n) => n.type === "user");
  const pid = namespaces.find((n) => n.type === "pid");
  const fork = [utilLinux("setsid"), "--fork", "--"];
  if (!user && rootless && pid && !pid.path) {
    // rootless tsbox is in a user namespace already: it could not set its pid_for_children
    // back to the host's after unshare(CLONE_NEWPID), so a stage makes the PID namespace
    return {
      prefix: [utilLinux("unshare"), "--pid", "--", ...fork],
      forks: true,
      userns: true,
      newUserns: false,
    };
  }
  if (!user) return { prefix: [], forks: false, userns: false, newUserns: false };
  if (!user.path) {
    if (pid?.path) {
      throw new UsageError("a new user namespace cannot be combined with a joined PID namespace");
    }
    const unshare = [utilLinux("unshare"), "--user", "--keep-caps"];
    return pid
      ? { prefix: [...unshare, "--pid", "--", ...fork], forks: true, userns: true, newUserns: true }
      : { prefix: [...unshare, "--"], forks: false, userns: true, newUserns: true };
  }
  const nsenter = [utilLinux("nsenter"), `--user=${user.path}`];
  if (!pid) return { prefix: [...nsenter, "--"], forks: false, userns: true, newUserns: false };
  const prefix = pid.path
    ? [...nsenter, `--pid=${pid.path}`, "--no-fork", "--", ...fork]
    : [...nsenter, "--", utilLinux("unshare"), "--pid", "--", ...fork];
  return { prefix, forks: true, userns: true, newUserns: false };
}
