/**
 * Typed errors. Every failure tsbox reports ends as one line:
 * `tsbox: <message>` (+ an optional hint), with an exit code.
 * @module
 */

/** Exit code for tsbox's own failures (docker's 125). */
export const EXIT_TSBOX = 125;
/** Exit code: the command exists but cannot be run. */
export const EXIT_CANNOT_EXEC = 126;
/** Exit code: the command was not found. */
export const EXIT_NOT_FOUND = 127;

/** Options shared by all tsbox errors. */
export interface TsboxErrorOptions {
  /** What was being done, e.g. `mount`, `load`. */
  op?: string;
  /** The file or object concerned. */
  path?: string;
  /** A hint printed after the message. */
  hint?: string;
  /** Exit code (default 125). */
  exitCode?: number;
  /** Underlying error. */
  cause?: unknown;
}

/** Base of every error tsbox raises on purpose. */
export class TsboxError extends Error {
  readonly op?: string;
  readonly path?: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = "TsboxError";
    this.op = opts.op;
    this.path = opts.path;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT_TSBOX;
  }
}

/** Bad command line or bad spec (flag, value, reference). */
export class UsageError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "UsageError";
  }
}

/** Image store / archive / registry problems. */
export class ImageError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "ImageError";
  }
}

/** Volume problems. */
export class VolumeError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "VolumeError";
  }
}

/** cgroup problems. */
export class CgroupError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "CgroupError";
  }
}

/** Network problems. */
export class NetworkError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "NetworkError";
  }
}

/** Container lookup / state problems. */
export class ContainerError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "ContainerError";
  }
}

/** Render any thrown value as the one user-facing line (plus hint line). */
export function formatError(err: unknown): string {
  if (err instanceof TsboxError) {
    let line = `tsbox: ${err.message}`;
    const cause = err.cause;
    if (
      cause instanceof Error && !(cause instanceof TsboxError) &&
      !err.message.includes(cause.message)
    ) {
      line += `: ${cause.message}`;
    }
    return err.hint ? `${line}\nhint: ${err.hint}` : line;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return `tsbox: permission denied (run as root): ${err.message}`;
  }
  if (err instanceof Error) return `tsbox: ${err.message}`;
  return `tsbox: ${String(err)}`;
}

/** Exit code for a thrown value. */
export function exitCodeOf(err: unknown): number {
  return err instanceof TsboxError ? err.exitCode : EXIT_TSBOX;
}

/** A failed system call: names the call, the errno and the path. */
export class SyscallError extends TsboxError {
  /** Symbolic errno, e.g. `EPERM`. */
  readonly errnoName: string;
  /** Numeric errno. */
  readonly errno: number;
  constructor(call: string, errno: number, errnoName: string, text: string, path?: string) {
    super(`${call}${path ? ` ${path}` : ""}: ${text} (${errnoName})`, { op: call, path });
    this.name = "SyscallError";
    this.errno = errno;
    this.errnoName = errnoName;
  }
}
