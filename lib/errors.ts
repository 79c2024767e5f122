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

/** Where a TsboxError keeps its class names (the same key in every copy of this module). */
const ERROR_CLASSES = Symbol.for("tsbox.errorClasses");

/** Base of every error tsbox raises on purpose. */
export class TsboxError extends Error {
  /**
   * `instanceof` by class name, not by class object: the bundled build
   * (tools/bundle.ts) holds a copy of this module in each of its files, and
   * an error made by one copy is caught by another — the kernel's
   * SyscallError, made by main.js's, is checked in the init's. The names
   * are unique (tests/lib/error_classes_test.ts).
   */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (typeof v !== "object" || v === null) return false;
    const names = (v as { [ERROR_CLASSES]?: readonly string[] })[ERROR_CLASSES];
    return names !== undefined && names.includes(this.name);
  }
  readonly op?: string;
  readonly path?: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, { cause: opts.cause });
    // this error's classes by name, most derived first (see Symbol.hasInstance)
    const names: string[] = [];
    for (let c: unknown = new.target; c !== Error; c = Object.getPrototypeOf(c)) {
      names.push((c as { name: string }).name);
    }
    Object.defineProperty(this, ERROR_CLASSES, { value: names });
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

/**
 * A flag that is unknown or lacks/has a bad value: docker's CLI exits 125
 * for these in every command (its flag-error hook), unlike other failures.
 */
export class FlagError extends UsageError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, opts);
    this.name = "FlagError";
  }
}

/**
 * Exit code of a failed command as docker's CLI gives it: run/create/start
 * keep tsbox's own 125, flag errors are 125 everywhere, explicit codes
 * (126, 127, 1, 64 …) stand, and any other failure of any other command is 1.
 * @param verb the command (`container run` counts as `run`).
 */
export function commandExitCode(verb: string | undefined, err: unknown): number {
  const code = exitCodeOf(err);
  if (code !== EXIT_TSBOX || err instanceof FlagError) return code;
  return verb === "run" || verb === "create" || verb === "start" ? code : 1;
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

/**
 * A `--format` template that does not parse or fails to execute, or a
 * `--filter` docker refuses: the command exits 1, as docker's CLI does.
 */
export class TemplateError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, { exitCode: 1, ...opts });
    this.name = "TemplateError";
  }
}

/** A `--filter` with an unknown key or a bad value (docker: exit 1). */
export class FilterError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, { exitCode: 1, ...opts });
    this.name = "FilterError";
  }
}

/**
 * True when `err`'s message already tells what `cause` says, so the line is
 * not doubled ("open X: no such file or directory: No such file or
 * directory (os error 2): readfile 'X'"): Deno's text without its
 * "(os error N): op 'path'" tail, or the errno class in plain words.
 */
function saysAlready(err: Error, cause: Error): boolean {
  const msg = err.message.toLowerCase();
  const core = cause.message.replace(/\s*\(os error \d+\)[\s\S]*$/, "").toLowerCase();
  if (msg.includes(cause.message.toLowerCase()) || (core !== "" && msg.includes(core))) return true;
  if (cause instanceof Deno.errors.NotFound) return msg.includes("no such file");
  if (cause instanceof Deno.errors.PermissionDenied) return msg.includes("permission denied");
  if (cause instanceof Deno.errors.AlreadyExists) return msg.includes("exists");
  return false;
}

/** Render any thrown value as the one user-facing line (plus hint line). */
export function formatError(err: unknown): string {
  if (err instanceof TsboxError) {
    let line = `tsbox: ${err.message}`;
    const cause = err.cause;
    if (cause instanceof Error && !(cause instanceof TsboxError) && !saysAlready(err, cause)) {
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
