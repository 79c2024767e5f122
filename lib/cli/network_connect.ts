/**
 * `tsbox network connect [--ip IP] [--alias A]... NETWORK CONTAINER` and
 * `tsbox network disconnect [-f] NETWORK CONTAINER` (docker's): print
 * nothing on success; a refusal is docker's one line, exit 1.
 * @module
 */

import type { CliContext } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { daemonError } from "../container/cli_report.ts";
import { connectContainer, disconnectContainer } from "../container/network_connect.ts";

/** `network connect --help`. */
export const CONNECT_HELP = `Usage: tsbox network connect [OPTIONS] NETWORK CONTAINER

Connect a container to a network

Options:
      --alias strings   Add network-scoped alias for the container (repeatable)
      --ip string       IPv4 address (e.g., "172.30.100.104")`;

/** `network disconnect --help`. */
export const DISCONNECT_HELP = `Usage: tsbox network disconnect [OPTIONS] NETWORK CONTAINER

Disconnect a container from a network

Options:
  -f, --force   Force the container to disconnect from a network`;

function twoArgs(verb: string, positionals: string[]): [string, string] {
  if (positionals.length !== 2) {
    throw new UsageError(`"network ${verb}" requires exactly 2 arguments`, {
      hint: `see 'tsbox network ${verb} --help'`,
    });
  }
  return [positionals[0], positionals[1]];
}

/** `network connect`. Requires root for a running container. */
export async function connect(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(CONNECT_HELP);
    return 0;
  }
  const p = parseFlags(args, [{ name: "ip", type: "string" }, { name: "alias", type: "list" }]);
  const [network, container] = twoArgs("connect", p.positionals);
  return await daemonError(async () => {
    await connectContainer(ctx, container, {
      network,
      ip: str(p, "ip"),
      aliases: list(p, "alias"),
    });
    return 0;
  });
}

/** `network disconnect`. Requires root for a running container. */
export async function disconnect(args: string[], ctx: CliContext): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(DISCONNECT_HELP);
    return 0;
  }
  const p = parseFlags(args, [{ name: "force", short: "f", type: "bool" }]);
  const [network, container] = twoArgs("disconnect", p.positionals);
  return await daemonError(async () => {
    await disconnectContainer(ctx, container, network, bool(p, "force"));
    return 0;
  });
}
