/**
 * `tsbox cp` orchestration: decide the direction, find the container and
 * how to reach its files (a running one's mount namespace, or — under the
 * container lock, so it cannot start meanwhile — a private mount of a
 * stopped one's overlay), run the `__cp` helper for the container side and
 * do the host side here: pack a host source, or apply docker's destination
 * rules and extract (never through a symlink the archive created). The
 * archive is staged in the state root's tmp dir. Needs root.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CliContext } from "../cli/context.ts";
import { TsboxError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { withContainerLock } from "../container/lock.ts";
import { liveView } from "../container/live.ts";
import type { ContainerRecord } from "../container/store.ts";
import { humanSize } from "../image/format.ts";
import { removeIfExists } from "../fsutil.ts";
import { type CopyEnd, CopyError, copyTarget, parseCopyEnd, sourceBase } from "./copy_rules.ts";
import { CP_SPEC_ENV, type CpReply, type CpSpec, type CpWhere } from "./cp_spec.ts";
import { packTreeSync, TarReaderSync } from "./tar_sync.ts";
import { extractSync } from "./extract_sync.ts";

/** `cp` options. */
export interface CopyOptions {
  /** `-a`: keep uid/gid. */
  archive: boolean;
  /** `-L`: follow a symlink at the source. */
  follow: boolean;
  /** `-q`: no "Successfully copied" line. */
  quiet: boolean;
}

/**
 * Copy `srcArg` to `destArg` (one of them `CONTAINER:PATH`).
 * @throws {CopyError} docker's usage and rule errors (exit 1).
 */
export async function runCopy(
  ctx: CliContext,
  srcArg: string,
  destArg: string,
  opts: CopyOptions,
): Promise<void> {
  const src = parseCopyEnd(srcArg);
  const dest = parseCopyEnd(destArg);
  if (src.kind === "container" && dest.kind === "container") {
    throw new CopyError("copying between containers is not supported");
  }
  if (src.kind !== "container" && dest.kind !== "container") {
    throw new CopyError("must specify at least one container source");
  }
  const side = (src.kind === "container" ? src : dest) as Extract<CopyEnd, { kind: "container" }>;
  const rec = findContainer(ctx.paths, side.container);
  let bytes: number;
  if (src.kind === "container") {
    bytes = await withWhere(ctx, rec, (where) => copyOut(ctx, rec, where, src.path, dest, opts));
  } else {
    bytes = await withWhere(ctx, rec, (where) => copyIn(ctx, rec, where, src, side.path, opts));
  }
  if (!opts.quiet && Deno.stderr.isTerminal() && dest.kind !== "stream") {
    console.error(`Successfully copied ${humanSize(bytes)} to ${destArg}`);
  }
}

/** Run `fn` with the way into `rec`'s filesystem; a stopped container stays locked meanwhile. */
async function withWhere<T>(
  ctx: CliContext,
  rec: ContainerRecord,
  fn: (where: CpWhere) => Promise<T>,
): Promise<T> {
  const running = (r: ContainerRecord): CpWhere | undefined => {
    const v = liveView(r);
    return v.running
      ? { kind: "running", pid: v.pid, pidStartTime: r.state.pidStartTime }
      : undefined;
  };
  const now = running(rec);
  if (now) return await fn(now);
  return await withContainerLock(ctx.paths, rec.config.id, async (cur) =>
    await fn(
      running(cur) ?? {
        kind: "stopped",
        merged: join(cur.dir, "merged"),
        lowerDirs: cur.config.image.layerDirs,
        upper: join(cur.dir, "upper"),
        work: join(cur.dir, "work"),
        mounts: cur.config.mounts,
      },
    ));
}

function tempTar(ctx: CliContext): string {
  Deno.mkdirSync(ctx.paths.tmp, { recursive: true });
  return join(ctx.paths.tmp, `cp-${crypto.randomUUID()}.tar`);
}

/** Spawn `__cp`; returns its reply (stdout/stdin wired by the caller's choices). */
async function helper(
  ctx: CliContext,
  spec: CpSpec,
  io: { stdin: "inherit" | string; stdout: "inherit" | string },
): Promise<CpReply & { ok: true }> {
  const child = new Deno.Command(ctx.self[0], {
    args: [...ctx.self.slice(1), "--root", ctx.paths.root, "__cp"],
    env: { [CP_SPEC_ENV]: JSON.stringify(spec) },
    stdin: io.stdin === "inherit" ? "inherit" : "piped",
    stdout: io.stdout === "inherit" ? "inherit" : "piped",
    stderr: "piped",
  }).spawn();
  const feeding = io.stdin === "inherit" ? Promise.resolve() : (async () => {
    const f = await Deno.open(io.stdin);
    try {
      await f.readable.pipeTo(child.stdin);
    } catch (err) {
      // the helper stopped reading (it failed): its reply says why
      if (!(err instanceof Error)) throw err;
    }
  })();
  const draining = io.stdout === "inherit" ? Promise.resolve() : (async () => {
    const f = await Deno.open(io.stdout, { write: true, createNew: true, mode: 0o600 });
    await child.stdout.pipeTo(f.writable);
  })();
  const errText = new Response(child.stderr).text();
  const [status, text] = await Promise.all([child.status, errText, feeding, draining]);
  const lines = text.trim().split("\n");
  let r: CpReply | undefined;
  try {
    r = JSON.parse(lines.at(-1) ?? "");
  } catch (err) {
    // the helper died before replying: show what it printed
    if (!(err instanceof SyntaxError)) throw err;
  }
  if (!r) {
    throw new TsboxError(`cp helper failed (exit ${status.code}): ${text.trim()}`, { exitCode: 1 });
  }
  if (!r.ok) throw new TsboxError(r.message, { exitCode: 1 });
  return r;
}

async function copyOut(
  ctx: CliContext,
  rec: ContainerRecord,
  where: CpWhere,
  path: string,
  dest: CopyEnd,
  opts: CopyOptions,
): Promise<number> {
  const spec: CpSpec = {
    where,
    container: rec.config.name,
    op: "out",
    path,
    follow: opts.follow,
    archive: opts.archive,
  };
  if (dest.kind === "stream") {
    if (Deno.stdout.isTerminal()) {
      throw new CopyError("cowardly refusing to write a tar archive to a terminal");
    }
    return (await helper(ctx, spec, { stdin: "inherit", stdout: "inherit" })).bytes;
  }
  const hostDest = (dest as Extract<CopyEnd, { kind: "host" }>).path;
  // check what we can before the helper runs: a missing destination parent is docker's error too
  const tmp = tempTar(ctx);
  try {
    const r = await helper(ctx, spec, { stdin: "inherit", stdout: tmp });
    const clean = hostDest.replace(/\/+$/, "") || "/";
    const st = statOrUndefined(clean);
    const parent = clean.includes("/") ? clean.slice(0, clean.lastIndexOf("/")) || "/" : ".";
    const target = copyTarget(path, { base: r.base!, isDir: r.isDir! }, hostDest, {
      exists: st !== undefined,
      isDir: st?.isDirectory === true,
      parentIsDir: statOrUndefined(parent)?.isDirectory === true,
    });
    const f = Deno.openSync(tmp);
    try {
      extractSync(new TarReaderSync((b) => f.readSync(b)), target.dir, ctx.kernel, {
        archive: opts.archive,
        uid: Deno.uid() ?? 0,
        gid: Deno.gid() ?? 0,
        rename: { from: r.base!, to: target.name },
      });
    } finally {
      f.close();
    }
    return r.bytes;
  } finally {
    removeIfExists(tmp);
  }
}

async function copyIn(
  ctx: CliContext,
  rec: ContainerRecord,
  where: CpWhere,
  src: CopyEnd,
  path: string,
  opts: CopyOptions,
): Promise<number> {
  const spec: CpSpec = {
    where,
    container: rec.config.name,
    op: "in",
    path,
    follow: opts.follow,
    archive: opts.archive,
  };
  if (src.kind === "stream") {
    await helper(ctx, spec, { stdin: "inherit", stdout: "inherit" });
    return 0;
  }
  const hostSrc = (src as Extract<CopyEnd, { kind: "host" }>).path;
  const strip = hostSrc.replace(/\/\.$/, "/");
  const probe = strip.replace(/\/+$/, "") || "/";
  let st = lstatOrUndefined(probe);
  if (st?.isSymlink && (opts.follow || strip.endsWith("/"))) st = statOrUndefined(probe);
  if (!st) throw new CopyError(`lstat ${hostSrc}: no such file or directory`);
  if (hostSrc.endsWith("/") && !st.isDirectory) throw new CopyError(`not a directory: ${hostSrc}`);
  const base = sourceBase(hostSrc);
  spec.source = { typed: hostSrc, base, isDir: st.isDirectory };
  const tmp = tempTar(ctx);
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
    let bytes: number;
    try {
      bytes = packTreeSync(probe, base, opts.follow || strip.endsWith("/"), (b) => {
        let off = 0;
        while (off < b.length) off += f.writeSync(b.subarray(off));
      });
    } finally {
      f.close();
    }
    await helper(ctx, spec, { stdin: tmp, stdout: "inherit" });
    return bytes;
  } finally {
    removeIfExists(tmp);
  }
}

function statOrUndefined(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined; // not there
    }
    throw err;
  }
}

function lstatOrUndefined(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(p);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined; // not there
    }
    throw err;
  }
}
