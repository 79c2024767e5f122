/**
 * `tsbox version [-f FORMAT]`: docker's two sections. tsbox has no daemon:
 * the "Server" is the same local runtime, so `{{.Server.Version}}` and
 * `{{.Client.Version}}` both answer, as scripts expect.
 * @module
 */

import type { Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { DOCKER_API_VERSION, goPlatform, VERSION } from "../version.ts";
import { compileTemplate, runTemplate, writeOut } from "../template/format.ts";
import { goJson } from "../template/funcs.ts";

const USAGE = `Usage: tsbox version [OPTIONS]

Show the tsbox version information

Options:
  -f, --format FORMAT   'json' or a Go template ({{.Client.Version}}, {{.Server.KernelVersion}})

Exit status: 1 for a bad template.`;

function kernelRelease(): string {
  return Deno.osRelease();
}

/** The data `--format` sees (docker's VersionInfo field names). */
export function versionInfo() {
  const { os, arch } = goPlatform();
  const runtime =
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`;
  return {
    Client: {
      Platform: { Name: "tsbox" },
      Version: VERSION,
      ApiVersion: DOCKER_API_VERSION,
      DefaultAPIVersion: DOCKER_API_VERSION,
      GitCommit: "",
      GoVersion: runtime,
      Os: os,
      Arch: arch,
      BuildTime: "",
      Context: "default",
    },
    Server: {
      Platform: { Name: "tsbox (no daemon: the local runtime)" },
      Version: VERSION,
      ApiVersion: DOCKER_API_VERSION,
      MinAPIVersion: DOCKER_API_VERSION,
      GitCommit: "",
      GoVersion: runtime,
      Os: os,
      Arch: arch,
      KernelVersion: kernelRelease(),
      BuildTime: "",
      Components: [{ Name: "Engine", Version: VERSION, Details: { Runtime: runtime } }],
    },
  };
}

function text(v: ReturnType<typeof versionInfo>): string {
  const row = (k: string, val: string) => ` ${(k + ":").padEnd(18)} ${val}`;
  return [
    "Client: tsbox",
    row("Version", v.Client.Version),
    row("API version", `${v.Client.ApiVersion} (docker-compatible CLI)`),
    row("Runtime", v.Client.GoVersion),
    row("OS/Arch", `${v.Client.Os}/${v.Client.Arch}`),
    row("Context", v.Client.Context),
    "",
    "Server: tsbox (no daemon: the local runtime)",
    " Engine:",
    `  ${"Version:".padEnd(17)} ${v.Server.Version}`,
    `  ${"OS/Arch:".padEnd(17)} ${v.Server.Os}/${v.Server.Arch}`,
    `  ${"Kernel Version:".padEnd(17)} ${v.Server.KernelVersion}`,
    "",
  ].join("\n");
}

/** `tsbox version`. */
export const main: Command = (args) => {
  const p = parseFlags(args, [
    { name: "format", short: "f", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  if (p.positionals.length) throw new UsageError('"version" accepts no arguments');
  const fmt = str(p, "format");
  const v = versionInfo();
  if (fmt === undefined || fmt === "") writeOut(text(v));
  else if (fmt === "json") writeOut(goJson(v) + "\n");
  else writeOut(runTemplate(compileTemplate(fmt), v) + "\n");
  return Promise.resolve(0);
};
