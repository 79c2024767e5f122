/**
 * Signal names and numbers (Linux x86_64/aarch64), parsing of `-s`/StopSignal.
 * @module
 */

import { UsageError } from "./errors.ts";

/** Signal name (with SIG) → number. */
export const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/**
 * Parse `KILL`, `SIGKILL`, `9` (case-insensitive) → number.
 * @throws {UsageError} unknown signal.
 */
export function parseSignal(s: string): number {
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const up = s.toUpperCase();
    const n = SIGNALS[up.startsWith("SIG") ? up : `SIG${up}`];
    if (n) return n;
  }
  throw new UsageError(`invalid signal: ${s}`);
}

/** Number of a signal name as Deno reports it (`"SIGKILL"`). */
export function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}
