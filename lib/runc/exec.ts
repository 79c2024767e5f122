/**
 * `exec [--process FILE | CMD…] [--detach] [--pid-file F] [--tty]
 * [--console-socket S] [--cwd D] [-e K=V] [-u UID[:GID]] ID`: a process in
 * a running container through the same `__exec` helper and process tail as
 * `tsbox exec` — the container's namespaces, cgroup, seccomp filter; the
 * process's own capabilities, rlimits and no_new_privs from process.json.
 * @module
 */

import type { RuncCommand } from "./context.ts";
import { bool, list, parseFlags, str } from "../cli/flags.ts";
import { TsboxError } from "../errors.ts";
import type { Process } from "../oci/spec.ts";
import { alive, statusOf, validateId } from "./store.ts";
import { openCgroup } from "./cgroup.ts";
import { cgroupProcs, runExecHelper } from "../container/exec.ts";
import type { ExecSpec } from "../container/exec_spec.ts";
import { cachedSeccomp } from "../seccomp/cache.ts";
import { toConsoleSocket } from "./launch.ts";

/** `exec`. */
export const exec: RuncCommand = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "process", short: "p", type: "string" },
    { name: "detach", short: "d", type: "bool" },
    { name: "pid-file", type: "string" },
    { name: "tty", short: "t", type: "bool" },
    { name: "console-socket", type: "string" },
    { name: "cwd", type: "string" },
    { name: "env", short: "e", type: "list" },
    { name: "user", short: "u", type: "string" },
    { name: "additional-gids", short: "g", type: "list" },
    { name: "cap", short: "c", type: "list" },
    { name: "no-new-privs", type: "bool" },
    { name: "preserve-fds", type: "string" },
    { name: "process-label", type: "string" },
    { name: "apparmor", type: "string" },
  ], true);
  const [rawId, ...cmd] = p.positionals;
  const r = ctx.store.get(validateId(rawId));
  const cg = openCgroup(r.cgroupsPath);
  const status = statusOf(r, cg?.frozen() ?? false);
  if (!alive(r) || status === "stopped") {
    throw new TsboxError("container not running", { exitCode: 1 });
  }
  if (status === "paused") {
    throw new TsboxError("cannot exec in a paused container", { exitCode: 1 });
  }
  const base = r.spec.process!;
  let proc: Process;
  const file = str(p, "process");
  if (file) {
    try {
      proc = JSON.parse(Deno.readTextFileSync(file));
    } catch (err) {
      throw new TsboxError(`exec: reading ${file}: ${(err as Error).message}`, { exitCode: 1 });
    }
  } else {
    if (cmd.length === 0) throw new TsboxError("exec: no command given", { exitCode: 1 });
    const [uid, gid] = (str(p, "user") ?? `${base.user.uid}:${base.user.gid}`).split(":").map(
      Number,
    );
    proc = {
      ...base,
      args: cmd,
      env: [...(base.env ?? []), ...list(p, "env")],
      cwd: str(p, "cwd") ?? base.cwd,
      user: {
        uid,
        gid: gid ?? base.user.gid,
        additionalGids: list(p, "additional-gids").map(Number),
      },
      terminal: bool(p, "tty"),
      noNewPrivileges: bool(p, "no-new-privs") || base.noNewPrivileges,
    };
    if (list(p, "cap").length) {
      const caps = list(p, "cap");
      const c = base.capabilities ?? {};
      proc.capabilities = {
        bounding: [...new Set([...(c.bounding ?? []), ...caps])],
        effective: [...new Set([...(c.effective ?? []), ...caps])],
        permitted: [...new Set([...(c.permitted ?? []), ...caps])],
        inheritable: c.inheritable ?? [],
        ambient: c.ambient ?? [],
      };
    }
  }
  if (bool(p, "tty")) proc.terminal = true;
  const spec: ExecSpec = {
    id: r.id,
    pid: r.pid,
    pidStartTime: r.pidStartTime,
    cgroupProcs: cgroupProcs(cg),
    hostname: r.spec.hostname ?? "",
    process: {
      args: proc.args ?? [],
      env: proc.env ?? [],
      cwd: proc.cwd,
      uid: proc.user.uid,
      gid: proc.user.gid,
      groups: proc.user.additionalGids ?? [],
      user: `${proc.user.uid}:${proc.user.gid}`,
      tty: proc.terminal ?? false,
    },
    security: {
      capabilities: proc.capabilities ?? {},
      noNewPrivileges: proc.noNewPrivileges ?? false,
      rlimits: proc.rlimits ?? [],
      oomScoreAdj: proc.oomScoreAdj,
    },
    seccomp: r.spec.linux?.seccomp && await cachedSeccomp(ctx.paths, r.spec.linux.seccomp),
    detach: bool(p, "detach"),
  };
  const socket = str(p, "console-socket");
  if (spec.process.tty && !socket) {
    throw new TsboxError("exec: --tty needs --console-socket", { exitCode: 1 });
  }
  const pidFile = str(p, "pid-file");
  return await runExecHelper(ctx.self, ctx.paths.root, spec, {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    onPty: (master) => {
      toConsoleSocket(socket!, master);
      return undefined;
    },
    onStarted: (pid) => pidFile && Deno.writeTextFileSync(pidFile, String(pid)),
  });
};
