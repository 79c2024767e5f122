/**
 * Facts about processes from /proc: start time (to tell a live pid from a
 * recycled one) and liveness.
 * @module
 */

/**
 * Field 22 (starttime, clock ticks since boot) of /proc/PID/stat; undefined
 * when gone — a zombie counts as gone: it has exited, and an orphan's zombie
 * may never be reaped when the host's PID 1 does not reap.
 */
export function pidStartTime(pid: number): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // process is gone
    // exiting right now: procfs answers ESRCH for a task being torn down
    if (isEsrch(err)) return undefined;
    throw err;
  }
  // comm (field 2) may contain spaces and parens: split after the last ')'
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  if (rest[0] === "Z" || rest[0] === "X") return undefined;
  return Number(rest[19]);
}

/** ESRCH from a read: Deno has no class for it; it names the errno in `code` or the message. */
function isEsrch(err: unknown): boolean {
  return err instanceof Error &&
    ((err as { code?: string }).code === "ESRCH" || err.message.includes("(os error 3)"));
}

/** True when `pid` is alive and is the same process that had `startTime`. */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  if (pid <= 0) return false;
  const now = pidStartTime(pid);
  if (now === undefined) return false;
  return startTime === undefined || now === startTime;
}
