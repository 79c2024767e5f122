/**
 * One RUN step through tsbox's own run path: a container is created from
 * the step's parent image (secure defaults: docker's capabilities and
 * seccomp profile; `--network none` unless the build asked for another),
 * started with its output captured, and its upper dir packed into a layer
 * with commit's layer writer. The container is always removed.
 * Needs root.
 * @module
 */

import type { CliContext } from "../cli/context.ts";
import { parseRunArgs } from "../cli/run_flags.ts";
import { createContainer } from "../container/create.ts";
import { startContainer } from "../container/runner.ts";
import { readContainer } from "../container/store.ts";
import { removeContainer } from "../container/remove.ts";
import { GENERATED_FILES } from "../container/commit.ts";
import { logPath } from "../container/log_file.ts";
import { containerDir } from "../paths.ts";
import type { ImageStore } from "../image/store.ts";
import { writeLayerBlob } from "../image/layer_blob.ts";
import { kill } from "../../ffi/process.ts";

/** What a RUN runs. */
export interface RunRequest {
  /** Parent image id. */
  image: string;
  /** The full command (shell form already wrapped in the SHELL). */
  args: string[];
  /** Extra environment (build args not overridden by ENV). */
  env: string[];
  /** `--network` of the build. */
  network: string;
  /** Each output line (stdout and stderr), as it was captured. */
  onOutput: (line: string) => void;
  /** Aborting kills the command (the build was interrupted). */
  signal?: AbortSignal;
}

/** A finished RUN. */
export interface RunResult {
  code: number;
  /** The layer, when the command succeeded. */
  layer?: { digest: string; size: number; diffId: string };
}

/**
 * Run `req` and pack its changes (only when it exits 0).
 * @throws {TsboxError} the container could not be created.
 */
export async function runStep(
  ctx: CliContext,
  store: ImageStore,
  req: RunRequest,
): Promise<RunResult> {
  const argv = ["--network", req.network, "--entrypoint", ""];
  for (const e of req.env) argv.push("-e", e);
  argv.push(req.image, ...req.args);
  const { spec } = parseRunArgs(argv, {});
  const config = await createContainer(ctx, spec, { pull: "never", quiet: true });
  try {
    const tail = new LogTail(logPath(ctx.paths, config.id), req.onOutput);
    // PID 1 ignores SIGINT/SIGTERM it has no handler for: an interrupted build kills it
    const abort = () => {
      const pid = readContainer(ctx.paths, config.id)?.state.pid ?? 0;
      if (pid > 0) kill(pid, 9);
    };
    req.signal?.addEventListener("abort", abort);
    let code: number;
    try {
      code = await startContainer(ctx, config.id, {
        interactive: false,
        log: true,
        onStarted: (failure) => {
          if (failure) req.onOutput(`tsbox: ${failure.message}`);
          // the abort came between create and exec: kill it now
          if (req.signal?.aborted) abort();
        },
      });
    } finally {
      req.signal?.removeEventListener("abort", abort);
      tail.stop();
    }
    if (code !== 0) return { code };
    const upper = `${containerDir(ctx.paths, config.id)}/upper`;
    const layer = await writeLayerBlob(store, upper, withoutStubDir(upper));
    return { code, layer };
  } finally {
    const rec = readContainer(ctx.paths, config.id);
    if (rec) await removeContainer(ctx, rec, { force: true, volumes: true });
  }
}

/**
 * The generated files, and `etc` itself when it holds nothing else: the
 * directory is in the upper dir only because the stubs are.
 */
function withoutStubDir(upper: string): ReadonlySet<string> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(`${upper}/etc`)].map((e) => `etc/${e.name}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return GENERATED_FILES; // no etc in the upper dir
    throw err;
  }
  if (names.some((n) => !GENERATED_FILES.has(n))) return GENERATED_FILES;
  return new Set([...GENERATED_FILES, "etc"]);
}

/**
 * Follows a json log (docker's json-file format) while the step runs and
 * hands each line on, without its newline; `stop` reads what is left.
 */
class LogTail {
  #offset = 0;
  #rest = "";
  #timer: ReturnType<typeof setInterval>;
  #dec = new TextDecoder();
  constructor(private readonly path: string, private readonly onLine: (line: string) => void) {
    // output is shown as it comes; polling a file the container's supervisor appends to
    this.#timer = setInterval(() => this.#read(), 200);
  }

  #read(): void {
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return; // not created yet
      throw err;
    }
    try {
      f.seekSync(this.#offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(64 * 1024);
      let text = "";
      for (;;) {
        const n = f.readSync(buf);
        if (!n) break;
        this.#offset += n;
        text += this.#dec.decode(buf.subarray(0, n), { stream: true });
      }
      const lines = (this.#rest + text).split("\n");
      this.#rest = lines.pop() ?? "";
      for (const l of lines) {
        if (l) this.onLine(((JSON.parse(l) as { log?: string }).log ?? "").replace(/\n$/, ""));
      }
    } finally {
      f.close();
    }
  }

  /** Stop following; the lines written so far are all handed on. */
  stop(): void {
    clearInterval(this.#timer);
    this.#read();
  }
}
