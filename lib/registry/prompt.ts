/**
 * Terminal input for `login`: read a line (echoed) or a secret (not
 * echoed, via raw mode), and read all of stdin for `--password-stdin`.
 * @module
 */

import { UsageError } from "../errors.ts";
import { concatBytes } from "../bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Read stdin to its end (for `--password-stdin`); trailing CR/LF removed. */
export async function readStdinAll(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  return dec.decode(concatBytes(chunks)).replace(/[\r\n]+$/, "");
}

/**
 * Prompt on stderr and read one line from the terminal; `secret` turns echo off.
 * @throws {UsageError} stdin is not a terminal, or input was interrupted (Ctrl-C / Ctrl-D).
 */
export async function promptLine(question: string, secret = false): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError("cannot perform an interactive login from a non TTY device", {
      hint: "use --username with --password-stdin",
    });
  }
  Deno.stderr.writeSync(enc.encode(question));
  if (secret) Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) throw new UsageError("login cancelled (end of input)");
      const b = buf[0];
      if (b === 0x0a || b === 0x0d) break;
      if (secret && (b === 0x03 || b === 0x04)) throw new UsageError("login cancelled");
      if (secret && (b === 0x7f || b === 0x08)) {
        bytes.pop();
        continue;
      }
      bytes.push(b);
    }
  } finally {
    if (secret) {
      Deno.stdin.setRaw(false);
      Deno.stderr.writeSync(enc.encode("\n"));
    }
  }
  return dec.decode(new Uint8Array(bytes));
}
