/**
 * `top`: the processes of a container, as docker finds them — run the
 * host's `ps` (default `-ef`) and keep the rows whose PID is in the
 * container's PID namespace.
 * @module
 */

import { ContainerError } from "../errors.ts";
import type { ContainerRecord } from "./store.ts";
import { liveView } from "./live.ts";

/** Host pids whose PID namespace is the one of `pid`. */
export function pidsInNamespaceOf(pid: number): Set<number> {
  const target = Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  const out = new Set<number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(e.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${e.name}/ns/pid`) === target) out.add(Number(e.name));
    } catch (err) {
      // exited while we listed /proc, or a protected host process: not the container's
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied)) {
        throw err;
      }
    }
  }
  return out;
}

/** Split `ps` output into titles and rows (the last column keeps its spaces). */
export function parsePs(text: string): { titles: string[]; rows: string[][] } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const titles = lines[0]?.trim().split(/\s+/) ?? [];
  const rows = lines.slice(1).map((l) => {
    const f = l.trim().split(/\s+/);
    return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(" ")];
  });
  return { titles, rows };
}

/**
 * Processes of `rec`, per `ps psArgs`.
 * @throws {ContainerError} not running (exit 1), or `ps` failed / has no PID column.
 */
export async function topContainer(
  rec: ContainerRecord,
  psArgs: string[],
): Promise<{ titles: string[]; rows: string[][] }> {
  const v = liveView(rec);
  if (!v.running) {
    throw new ContainerError(`container ${rec.config.id} is not running`, { exitCode: 1 });
  }
  const out = await new Deno.Command("ps", { args: psArgs, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new ContainerError(
      `Error running ps: ${new TextDecoder().decode(out.stderr).trim()}`,
      { exitCode: 1 },
    );
  }
  const { titles, rows } = parsePs(new TextDecoder().decode(out.stdout));
  const col = titles.indexOf("PID");
  if (col < 0) throw new ContainerError(`Couldn't find PID field in ps output`, { exitCode: 1 });
  const pids = pidsInNamespaceOf(v.pid);
  return { titles, rows: rows.filter((r) => pids.has(Number(r[col]))) };
}
