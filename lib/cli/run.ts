/**
 * `tsbox run`: create + start in the foreground (or hand over to the
 * monitor with -d), then remove with --rm. `-it` is docker's attached
 * run: the container runs under its monitor with this CLI attached, so the
 * detach keys (`--detach-keys`, default ctrl-p ctrl-q) can leave it running.
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { parseRunArgs, RUN_USAGE } from "./run_flags.ts";
import { createContainer } from "../container/create.ts";
import { startContainer } from "../container/runner.ts";
import {
  abandonEarlyInit,
  type EarlyInit,
  hasStdio,
  initStdio,
  spawnEarlyInit,
} from "../container/early_init.ts";
import type { ContainerSpec } from "../container/types.ts";
import { parseUserns } from "../userns/maps.ts";
import { readContainer } from "../container/store.ts";
import { removeContainer, removeTornDown } from "../container/remove.ts";
import { startDetached } from "../container/detach.ts";
import { requireTerminal } from "./tty_check.ts";
import { UsageError } from "../errors.ts";
import { checkCidfile, writeCidfile } from "./cidfile.ts";
import { attachedStreams } from "../container/attach_streams.ts";
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from "../container/detach_keys.ts";
import { type RelayOptions, startAttached } from "./attach_client.ts";
import { trace } from "../trace.ts";

/**
 * Whether a foreground `run` spawns its init before creating the
 * container, and in which shape: a new PID namespace, behind the user
 * namespace stage when the container gets a user namespace (rootful
 * `--userns`/`--uidmap`; rootless, behind its PID namespace stage); not
 * for a shared PID namespace. The start checks the generated spec again
 * and stops an init that does not fit. `TSBOX_EARLY_INIT=0` turns it off
 * (the bench compares both).
 */
function earlyShape(ctx: CliContext, spec: ContainerSpec): "plain" | "userns" | undefined {
  if (spec.detach || ctx.env.TSBOX_EARLY_INIT === "0") return undefined;
  if (spec.namespaces?.pid) return undefined;
  const u = spec.userns ?? { uidmap: [], gidmap: [] };
  return parseUserns(u, ctx.env.TSBOX_USERNS).mode === "host" ? "plain" : "userns";
}

/** `tsbox run`. */
export const main: Command = async (args, ctx) => {
  trace("run");
  // the init main.ts spawned ahead (lib/container/run_ahead.ts): ours to use or to stop
  const ahead = ctx.early;
  ctx.early = undefined;
  let taken = false;
  try {
    return await run(args, ctx, ahead, () => taken = true);
  } finally {
    if (ahead && !taken) await abandonEarlyInit(ahead);
  }
};

async function run(
  args: string[],
  ctx: CliContext,
  ahead: EarlyInit | undefined,
  take: () => void,
): Promise<number> {
  const r = parseRunArgs(args, ctx.env);
  if (r.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  // docker checks before creating anything: -it needs a terminal to attach
  if (r.spec.tty && r.spec.interactive && !r.spec.detach) requireTerminal();
  const restarts = r.spec.restart !== undefined && r.spec.restart !== "no";
  if (restarts && !r.spec.detach && r.spec.attach) {
    // an attached start relays every stream; -a's choice is the foreground path's
    throw new UsageError("--restart with -a needs -d in tsbox", {
      hint: "drop -a (all streams are attached), or run -d then tsbox logs -f",
    });
  }
  if (r.spec.attach && r.spec.detach) throw new UsageError("Conflicting options: -a and -d");
  // checked before anything is created (docker's daemon refuses them at the attach: exit 125)
  const keys = r.spec.detach ? undefined : parseDetachKeys(r.detachKeys ?? DEFAULT_DETACH_KEYS);
  checkCidfile(r.cidfile);
  const streams = attachedStreams(r.spec.attach);
  // `run -it`, or a restart policy: the monitor supervises (and restarts), this CLI attaches
  // (docker's model: detach keys work; the first run's exit code is ours)
  const attached = keys !== undefined && !r.spec.attach &&
    (restarts || (r.spec.tty && r.spec.interactive));
  // the init's runtime starts while the container is being created (used if it fits)
  const shape = attached ? undefined : earlyShape(ctx, r.spec);
  const stdio = initStdio(r.spec.tty, { interactive: r.spec.interactive, attach: streams });
  const fits = ahead && shape === "plain" && !ahead.userns && hasStdio(ahead, stdio);
  if (fits) take();
  const early = fits ? ahead : shape ? spawnEarlyInit(ctx, stdio, shape === "userns") : undefined;
  let config;
  try {
    config = await createContainer(ctx, r.spec, {
      pull: r.pull,
      platform: r.platform,
      quiet: r.quiet,
    });
  } catch (err) {
    if (early) await abandonEarlyInit(early);
    throw err;
  }
  writeCidfile(r.cidfile, config.id);
  if (r.spec.detach) {
    trace("created");
    await startDetached(ctx, config.id);
    trace("detached");
    console.log(config.id);
    return 0;
  }
  if (attached) {
    return await runAttached(ctx, config.id, {
      tty: r.spec.tty,
      stdin: r.spec.interactive,
      keys: keys!,
      autoRemove: r.spec.autoRemove,
    });
  }
  try {
    return await startContainer(ctx, config.id, {
      interactive: r.spec.interactive,
      attach: streams,
      early,
      // removed where its exit is recorded; what that leaves (a failed teardown) is removed below
      removeAfter: r.spec.autoRemove ? (rec) => removeTornDown(ctx, rec, true) : undefined,
    });
  } finally {
    if (r.spec.autoRemove) {
      const rec = readContainer(ctx.paths, config.id);
      trace("remove");
      if (rec) await removeContainer(ctx, rec, { force: true, volumes: true });
      trace("removed");
    }
  }
}

/**
 * `run -it`: the container under its monitor, this CLI attached. Its
 * monitor removes a `--rm` one when it ends; one that never got to its
 * monitor (the attach socket failed) is removed here.
 */
async function runAttached(
  ctx: CliContext,
  id: string,
  o: RelayOptions & { autoRemove: boolean },
): Promise<number> {
  try {
    return await startAttached(ctx, id, o);
  } catch (err) {
    const rec = readContainer(ctx.paths, id);
    if (o.autoRemove && rec?.state.status === "created") {
      await removeContainer(ctx, rec, { force: true, volumes: true });
    }
    throw err;
  }
}
