/**
 * `tsbox port CONTAINER [PRIVATE_PORT[/PROTO]]` (also `container port`):
 * the published ports of a running container as docker prints them,
 * `80/tcp -> 0.0.0.0:8080`, or only the host side for one private port.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags } from "./flags.ts";
import { TsboxError, UsageError } from "../errors.ts";
import { findContainer } from "../container/lookup.ts";
import { liveView } from "../container/live.ts";
import type { NetworkRecord } from "../container/create.ts";
import { daemonError } from "../container/cli_report.ts";
import { writeOut } from "../template/format.ts";

const USAGE = `Usage: tsbox port CONTAINER [PRIVATE_PORT[/PROTO]]

List port mappings or a specific mapping for the container

Exit status: 1 for no such container, or no such published port.`;

/** `tsbox port`. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [{ name: "help", type: "bool" }]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  if (p.positionals.length < 1 || p.positionals.length > 2) {
    throw new UsageError('"port" requires at least 1 and at most 2 arguments', {
      hint: USAGE.split("\n")[0],
    });
  }
  const [ref, want] = p.positionals;
  let port: number | undefined;
  let proto = "tcp";
  if (want !== undefined) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(want);
    if (!m || Number(m[1]) > 65535) {
      throw new UsageError(`invalid port (${want})`, { hint: "PORT or PORT/tcp|udp" });
    }
    port = Number(m[1]);
    proto = m[2] ?? "tcp";
  }
  return daemonError(() => {
    const rec = findContainer(ctx.paths, ref);
    const net = rec.config.network as NetworkRecord | undefined;
    // only a running container has host ports (random ones are picked at start)
    const ports = liveView(rec).running ? net?.attachment?.ports ?? [] : [];
    const host = (h: { hostIP: string; hostPort: number }) =>
      `${h.hostIP || "0.0.0.0"}:${h.hostPort}`;
    if (port === undefined) {
      writeOut(ports.map((x) => `${x.containerPort}/${x.protocol} -> ${host(x)}\n`).join(""));
      return Promise.resolve(0);
    }
    const found = ports.filter((x) => x.containerPort === port && x.protocol === proto);
    if (!found.length) {
      throw new TsboxError(`No public port '${port}/${proto}' published for ${ref}`, {
        exitCode: 1,
      });
    }
    writeOut(found.map((x) => host(x) + "\n").join(""));
    return Promise.resolve(0);
  });
};
