/**
 * docker's detach keys (`--detach-keys`, default `ctrl-p,ctrl-q`): a
 * comma-separated list of single characters or `ctrl-X` (X in a-z, @, [,
 * \, ], ^, _). The matcher holds back bytes that may start the sequence
 * and hands them on as soon as they turn out not to. Pure.
 * @module
 */

import { ContainerError, UsageError } from "../errors.ts";

/** docker's default: ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

/**
 * The byte sequence of a `--detach-keys` value ("" is docker's default).
 * @throws {UsageError} an unknown key, in docker's words (run: exit 125).
 */
export function parseDetachKeys(spec: string): Uint8Array {
  if (spec === "") spec = DEFAULT_DETACH_KEYS;
  const bad = () => new UsageError(`Invalid detach keys (${spec}) provided`);
  const out: number[] = [];
  for (const key of spec.split(",")) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/i.exec(k);
    if (ctrl) {
      const c = ctrl[1].toLowerCase();
      const code = c >= "a" && c <= "z"
        ? c.charCodeAt(0) - 96
        : "@[\\]^_".includes(c)
        ? "@[\\]^_".indexOf(c) + (c === "@" ? 0 : 26)
        : -1;
      if (code < 0) throw bad();
      out.push(code);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw bad();
  }
  return new Uint8Array(out);
}

/**
 * `parseDetachKeys` where docker's daemon checks the keys (`attach`,
 * `start -a`, `exec`: "Error response from daemon: …", exit 1); `exec`'s
 * wording says escape keys.
 * @throws {ContainerError} an unknown key (exit 1).
 */
export function daemonDetachKeys(spec: string | undefined, what = "detach"): Uint8Array {
  try {
    return parseDetachKeys(spec ?? DEFAULT_DETACH_KEYS);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new ContainerError(`Invalid ${what} keys (${spec}) provided`, {
      exitCode: 1,
      cause: err,
    });
  }
}

/** What one chunk of input gives: bytes to forward, and whether the sequence was typed. */
export interface KeyScan {
  forward: Uint8Array;
  detach: boolean;
}

/** Watches input for the detach sequence (across chunks). */
export class DetachMatcher {
  #held: number[] = [];
  constructor(readonly keys: Uint8Array) {}

  /** Scan `chunk`: bytes before a complete sequence are forwarded, a partial match is held. */
  scan(chunk: Uint8Array): KeyScan {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.keys.length && b === this.keys[this.#held.length]) {
        this.#held.push(b);
        if (this.#held.length === this.keys.length) {
          return { forward: new Uint8Array(out), detach: true };
        }
        continue;
      }
      // a mismatch: what was held is ordinary input (and this byte may start a new match)
      out.push(...this.#held);
      this.#held = [];
      if (this.keys.length && b === this.keys[0]) this.#held.push(b);
      else out.push(b);
    }
    return { forward: new Uint8Array(out), detach: false };
  }
}
