/**
 * `tsbox login [-u USER] [-p PASS | --password-stdin] [SERVER]`: check the
 * credentials against the registry's `/v2/` (token service or Basic auth)
 * and only then save them in `<root>/auth.json` (mode 0600).
 * Needs write access to the state root.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, list, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { DOCKER_HUB, parseReference } from "../image/reference.ts";
import { RegistryClient } from "../registry/client.ts";
import { registryKey, saveCredentials } from "../registry/credentials.ts";
import { endpointFor, INSECURE_ENV, parseInsecureList } from "../registry/endpoint.ts";
import { promptLine, readStdinAll } from "../registry/prompt.ts";

const USAGE = `Usage: tsbox login [OPTIONS] [SERVER]

Log in to a registry (default docker.io). Credentials are checked, then
saved in <root>/auth.json (mode 0600).

Options:
  -u, --username string         username
  -p, --password string         password (insecure: visible in the process list)
      --password-stdin          read the password from stdin
      --insecure-registry host  allow plain HTTP to this registry`;

/** `tsbox login`: prints `Login Succeeded`; errors are thrown (exit 125). */
export const main: Command = async (args, ctx) => {
  const p = parseFlags(args, [
    { name: "username", short: "u", type: "string" },
    { name: "password", short: "p", type: "string" },
    { name: "password-stdin", type: "bool" },
    { name: "insecure-registry", type: "list" },
    { name: "help", short: "h", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return 0;
  }
  if (p.positionals.length > 1) {
    throw new UsageError(`"tsbox login" requires at most 1 argument`, {
      hint: "Usage: tsbox login [OPTIONS] [SERVER]",
    });
  }
  const server = registryKey(p.positionals[0] ?? DOCKER_HUB);
  checkServer(server, p.positionals[0] ?? DOCKER_HUB);
  let username = str(p, "username");
  let password = str(p, "password");
  const fromStdin = bool(p, "password-stdin");
  if (fromStdin && password !== undefined) {
    throw new UsageError("--password and --password-stdin are mutually exclusive");
  }
  if (fromStdin && !username) throw new UsageError("must provide --username with --password-stdin");
  if (password !== undefined) {
    console.error("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
  }
  if (fromStdin) password = await readStdinAll();
  username ??= (await promptLine("Username: ")).trim();
  if (!username) throw new UsageError("username is required");
  password ??= await promptLine("Password: ", true);
  if (!password) throw new UsageError("password is required");

  const insecure = [...parseInsecureList(ctx.env[INSECURE_ENV]), ...list(p, "insecure-registry")];
  const credentials = { username, password };
  await new RegistryClient(endpointFor(server, insecure), "", { credentials }).ping();
  await saveCredentials(ctx.paths, server, credentials);
  console.log("Login Succeeded");
  return 0;
};

/** A server must look like a registry host (`host[:port]`), checked with the reference grammar. */
function checkServer(key: string, typed: string): void {
  let ok = false;
  try {
    ok = parseReference(`${key}/probe`).domain === key;
  } catch (err) {
    // the reference parser's own wording is about images; say "server" instead
    if (!(err instanceof UsageError)) throw err;
  }
  if (!ok) throw new UsageError(`invalid registry server "${typed}"`);
}
