/**
 * The runc-compatible verbs over the runtime store: create, start, state,
 * kill, delete, run, list, ps, features. (exec, pause, resume, update are
 * their own files.) Semantics and messages follow runc's, which the
 * callers parse.
 * @module
 */

import { join } from "../posix_path.ts";
import { type RuncCommand, type RuncContext } from "./context.ts";
import { bool, parseFlags, str } from "../cli/flags.ts";
import { TsboxError, UsageError } from "../errors.ts";
import type { Spec } from "../oci/spec.ts";
import { validateSpec } from "../oci/validate.ts";
import { launch } from "./launch.ts";
import { alive, ociState, type RuntimeRecord, statusOf, validateId } from "./store.ts";
import { kill as killPid } from "../../ffi/process.ts";
import { signalNumber } from "../signals.ts";
import { runHooks } from "../oci/hooks.ts";
import { openCgroup } from "./cgroup.ts";
import { OCI_VERSION } from "../oci/spec.ts";

function readBundleSpec(bundle: string): Spec {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(bundle, "config.json"));
  } catch (err) {
    throw new TsboxError(`JSON specification file config.json not found in ${bundle}`, {
      exitCode: 1,
      cause: err,
    });
  }
  let spec: Spec;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new TsboxError(`${bundle}/config.json: invalid JSON: ${(err as Error).message}`, {
      exitCode: 1,
    });
  }
  validateSpec(spec);
  return spec;
}

const CREATE_FLAGS = [
  { name: "bundle", short: "b", type: "string" as const },
  { name: "pid-file", type: "string" as const },
  { name: "console-socket", type: "string" as const },
  { name: "no-pivot", type: "bool" as const },
  { name: "no-new-keyring", type: "bool" as const },
  { name: "preserve-fds", type: "string" as const },
  { name: "detach", short: "d", type: "bool" as const },
  { name: "keep", type: "bool" as const },
  { name: "help", short: "h", type: "bool" as const },
];

async function createFrom(args: string[], ctx: RuncContext) {
  const p = parseFlags(args, CREATE_FLAGS);
  const id = validateId(p.positionals[0]);
  const bundle = Deno.realPathSync(str(p, "bundle") ?? Deno.cwd());
  const preserve = Number(str(p, "preserve-fds") ?? 0);
  if (!Number.isInteger(preserve) || preserve < 0) {
    throw new UsageError(`invalid --preserve-fds: ${str(p, "preserve-fds")}`);
  }
  const spec = readBundleSpec(bundle);
  const launched = await launch(ctx, {
    id,
    bundle,
    spec,
    consoleSocket: str(p, "console-socket"),
    pidFile: str(p, "pid-file"),
    preserveFds: preserve,
  });
  return { launched, p };
}

/** `create [--bundle B] [--pid-file F] [--console-socket S] [--preserve-fds N] ID`. */
export const create: RuncCommand = async (args, ctx) => {
  await createFrom(args, ctx); // the init outlives us: the caller is its subreaper
  return 0;
};

/** Release the start gate of `r` (the init waits writing exec.fifo). */
async function release(ctx: RuncContext, r: RuntimeRecord): Promise<void> {
  const status = statusOf(r);
  if (status !== "created") {
    throw new TsboxError(
      `cannot start a container that has ${status === "stopped" ? "stopped" : "already started"}`,
      {
        exitCode: 1,
      },
    );
  }
  const fifo = ctx.store.fifo(r.id);
  // open blocks until the init opens its end (then it writes one byte); give up if the init dies
  const opened = Deno.open(fifo, { read: true }).then(async (f) => {
    try {
      await f.read(new Uint8Array(1));
    } finally {
      f.close();
    }
  });
  let watching = true;
  const died = (async () => {
    while (watching) {
      if (!alive(r)) throw new TsboxError("container init exited before start", { exitCode: 1 });
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  // reported by the race, if it won; not waited for (its sleep cost every start up to 20 ms)
  died.catch(() => {});
  try {
    await Promise.race([opened, died]);
  } finally {
    watching = false;
  }
  Deno.removeSync(fifo);
  ctx.store.write({ ...r, started: true });
  await runHooks(ctx.kernel, "poststart", r.spec.hooks?.poststart, ociState(r, "running")).catch(
    (err) => {
      // runc: a poststart failure is logged, the container keeps running
      console.error(`tsbox-runc: ${err instanceof Error ? err.message : err}`);
    },
  );
}

/** `start ID`. */
export const start: RuncCommand = async (args, ctx) => {
  const id = validateId(parseFlags(args, []).positionals[0]);
  await release(ctx, ctx.store.get(id));
  return 0;
};

/** `state ID`. */
export const state: RuncCommand = (args, ctx) => {
  const id = validateId(parseFlags(args, []).positionals[0]);
  const r = ctx.store.get(id);
  const frozen = alive(r) && (openCgroup(r.cgroupsPath)?.frozen() ?? false);
  console.log(JSON.stringify(ociState(r, statusOf(r, frozen)), null, 2));
  return Promise.resolve(0);
};

/** `kill [--all] ID [SIGNAL]` (number or name, with or without SIG). */
export const kill: RuncCommand = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "all", short: "a", type: "bool" }]);
  const [rawId, sig = "SIGTERM"] = p.positionals;
  const r = ctx.store.get(validateId(rawId));
  const n = /^\d+$/.test(sig) ? Number(sig) : signalNumber(
    sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`,
  );
  if (!n) throw new TsboxError(`unknown signal "${sig}"`, { exitCode: 1 });
  if (!alive(r)) throw new TsboxError("container not running", { exitCode: 1 });
  const cg = openCgroup(r.cgroupsPath);
  if (!bool(p, "all") || !cg) {
    killPid(r.pid, n);
    return 0;
  }
  if (n === 9) await cg.killAll(killPid);
  else {
    // runc's order: freeze, signal every pid, thaw — nothing forks away meanwhile
    await cg.freeze();
    try {
      for (const pid of cg.pids()) killPid(pid, n);
    } finally {
      cg.thaw();
    }
  }
  return 0;
};

/** Wait (bounded) until the init of `r` is gone. */
async function waitGone(r: RuntimeRecord, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (alive(r) && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
}

/** `delete [--force] ID`. */
export const del: RuncCommand = async (args, ctx) => {
  const p = parseFlags(args, [{ name: "force", short: "f", type: "bool" }]);
  const id = validateId(p.positionals[0]);
  const r = ctx.store.read(id);
  if (!r) {
    if (bool(p, "force")) return 0;
    throw new TsboxError(`container does not exist`, { exitCode: 1 });
  }
  const status = statusOf(r);
  if (status !== "stopped" && status !== "created" && !bool(p, "force")) {
    throw new TsboxError(`cannot delete container ${id} that is not stopped: ${status}`, {
      exitCode: 1,
    });
  }
  const cg = openCgroup(r.cgroupsPath);
  if (alive(r)) {
    if (cg) await cg.killAll(killPid);
    killPid(r.pid, 9);
    await waitGone(r);
  }
  await cg?.destroy({ kill: killPid });
  Deno.removeSync(ctx.store.dir(id), { recursive: true }); // state + fifo only, never a mount
  await runHooks(ctx.kernel, "poststop", r.spec.hooks?.poststop, ociState(r, "stopped")).catch(
    (err) => {
      console.error(`tsbox-runc: ${err instanceof Error ? err.message : err}`);
    },
  );
  return 0;
};

/** `run [--bundle B] [--detach] ID`: create + start (+ wait + delete in the foreground). */
export const run: RuncCommand = async (args, ctx) => {
  const { launched, p } = await createFrom(args, ctx);
  await release(ctx, launched.record);
  if (bool(p, "detach")) return 0; // the init outlives us, as after create
  const st = await launched.child.status();
  if (!bool(p, "keep")) await del([launched.record.id], ctx);
  return st.code;
};

/** `list [--format table|json] [-q]`. */
export const list: RuncCommand = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "format", short: "f", type: "string" },
    { name: "quiet", short: "q", type: "bool" },
  ]);
  const rows = ctx.store.ids().map((id) => ctx.store.read(id)).filter((r) => r !== undefined)
    .map((r) => ociState(r!, statusOf(r!)));
  if (bool(p, "quiet")) rows.forEach((s) => console.log(s.id));
  else if (str(p, "format") === "json") console.log(JSON.stringify(rows));
  else {
    console.log("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER");
    for (const s of rows) {
      console.log([s.id, s.pid, s.status, s.bundle, s.created, s.owner].join("\t"));
    }
  }
  return Promise.resolve(0);
};

/** `ps [--format table|json] ID`: host pids of the container. */
export const ps: RuncCommand = (args, ctx) => {
  const p = parseFlags(args, [{ name: "format", short: "f", type: "string" }]);
  const r = ctx.store.get(validateId(p.positionals[0]));
  const pids = alive(r) ? openCgroup(r.cgroupsPath)?.pids() ?? [r.pid] : [];
  if (str(p, "format") === "json") console.log(JSON.stringify(pids));
  else {
    console.log("PID");
    for (const pid of pids) console.log(pid);
  }
  return Promise.resolve(0);
};

/** `features`: what this runtime implements (runtime-spec features.md). */
export const features: RuncCommand = () => {
  console.log(JSON.stringify(
    {
      ociVersionMin: "1.0.0",
      ociVersionMax: OCI_VERSION,
      hooks: [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
      ],
      mountOptions: [
        "bind",
        "rbind",
        "ro",
        "rw",
        "nosuid",
        "nodev",
        "noexec",
        "private",
        "rprivate",
        "shared",
        "rshared",
        "slave",
        "rslave",
      ],
      linux: {
        namespaces: ["cgroup", "ipc", "mount", "network", "pid", "uts"],
        capabilities: [],
        cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
        seccomp: {
          enabled: true,
          actions: [
            "SCMP_ACT_ALLOW",
            "SCMP_ACT_ERRNO",
            "SCMP_ACT_KILL",
            "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD",
            "SCMP_ACT_LOG",
            "SCMP_ACT_TRACE",
            "SCMP_ACT_TRAP",
          ],
        },
      },
    },
    null,
    2,
  ));
  return Promise.resolve(0);
};
