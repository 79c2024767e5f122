/**
 * What every runc-style verb receives: the runtime root, how errors are
 * logged (`--log FILE --log-format json|text`, as containerd's shim and
 * podman read them), the kernel and how to re-execute tsbox.
 * @module
 */

import type { Kernel } from "../kernel.ts";
import type { Paths } from "../paths.ts";
import { RuntimeStore } from "./store.ts";

/** Context of one runc-style call. */
export interface RuncContext {
  store: RuntimeStore;
  /** Paths rooted at the runtime root (the seccomp cache lives there). */
  paths: Paths;
  kernel: Kernel;
  /** argv prefix that starts tsbox itself. */
  self: string[];
  log?: { file: string; format: "json" | "text" };
  debug: boolean;
}

/** One runc verb. */
export type RuncCommand = (args: string[], ctx: RuncContext) => Promise<number>;

/** Append `msg` at `level` to the --log file (JSON lines like runc's logrus output). */
export function logLine(ctx: RuncContext, level: "error" | "warning" | "info", msg: string): void {
  if (!ctx.log) return;
  const time = new Date().toISOString();
  const line = ctx.log.format === "json"
    ? JSON.stringify({ level, msg, time })
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    Deno.writeTextFileSync(ctx.log.file, line + "\n", { append: true, create: true });
  } catch (err) {
    // the log is the caller's; failing to write it must not hide the real error (stderr has it)
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof Deno.errors.PermissionDenied)) {
      throw err;
    }
  }
}
