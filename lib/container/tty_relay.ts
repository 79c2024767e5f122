/**
 * Relay between the user's terminal and the container's pty master:
 * raw mode on our stdin, window size at start and on SIGWINCH, bytes both
 * ways until the container side closes (EIO once no process holds the slave).
 * @module
 */

import { readAsync, writeAll } from "../../ffi/fds.ts";
import { setWinsize } from "../../ffi/pty.ts";
import { outputGone } from "./attach_streams.ts";

/** A running relay; `stop()` waits briefly for the output to drain. */
export interface TtyRelay {
  stop(): Promise<void>;
}

/**
 * Start relaying `master` ↔ stdio. `interactive` forwards stdin;
 * `onOutput` sees every chunk of output (the foreground's log). Our stdout
 * failing (a closed pipe) ends only the copy to it: the pty is still read.
 */
export function startTtyRelay(
  master: number,
  interactive: boolean,
  onOutput?: (bytes: Uint8Array) => void,
): TtyRelay {
  const rawMode = interactive && Deno.stdin.isTerminal();
  if (rawMode) Deno.stdin.setRaw(true);
  const resize = () => {
    if (!Deno.stdout.isTerminal()) return;
    const { columns, rows } = Deno.consoleSize();
    setWinsize(master, rows, columns);
  };
  resize();
  Deno.addSignalListener("SIGWINCH", resize);

  const output = (async () => {
    const buf = new Uint8Array(32 * 1024);
    let out = true;
    for (;;) {
      const n = await readAsync(master, buf);
      if (n === null) return;
      onOutput?.(buf.subarray(0, n));
      try {
        let off = 0;
        while (out && off < n) off += await Deno.stdout.write(buf.subarray(off, n));
      } catch (err) {
        // our stdout's reader went away: the container's output is still read (and logged)
        if (!outputGone(err)) throw err;
        out = false;
      }
    }
  })();
  let stopped = false;
  if (interactive) {
    (async () => {
      const buf = new Uint8Array(4096);
      while (!stopped) {
        const n = await Deno.stdin.read(buf);
        if (n === null || stopped) return;
        writeAll(master, buf.subarray(0, n));
      }
    })().catch(() => {
      // the container side went away while we were writing; output end reports the exit
    });
  }
  return {
    async stop() {
      stopped = true;
      Deno.removeSignalListener("SIGWINCH", resize);
      await Promise.race([output, new Promise((r) => setTimeout(r, 2000))]);
      if (rawMode) Deno.stdin.setRaw(false);
    },
  };
}
