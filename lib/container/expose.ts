/**
 * Exposed ports as docker computes them: `--expose 80`, `--expose
 * 8000-8010/udp`, the image's EXPOSE, and every `-p` container port, as
 * `PORT/PROTO` keys (inspect's Config.ExposedPorts, what `-P` publishes).
 * Pure.
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * Expand `--expose` values into `PORT/PROTO` keys.
 * @throws {UsageError} a bad port, range or protocol (run/create: 125).
 */
export function parseExpose(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 1 || to > 65535 || to < from) {
      throw new UsageError(`invalid range format for --expose: ${v}`);
    }
    for (let p = from; p <= to; p++) out.push(`${p}/${m[3] ?? "tcp"}`);
  }
  return out;
}

/** The image's exposed ports, `--expose` ones and published container ports, deduplicated, sorted. */
export function exposedPorts(
  image: Record<string, unknown> | undefined,
  expose: string[],
  published: { containerPort: number; protocol: string }[],
): string[] {
  const keys = new Set<string>();
  for (const k of Object.keys(image ?? {})) keys.add(k.includes("/") ? k : `${k}/tcp`);
  for (const k of expose) keys.add(k);
  for (const p of published) keys.add(`${p.containerPort}/${p.protocol}`);
  const num = (k: string) => Number(k.split("/")[0]);
  return [...keys].sort((a, b) => num(a) - num(b) || a.localeCompare(b));
}
