/**
 * `tsbox info [-f FORMAT]` (also `system info`): what docker's `info`
 * reports that tsbox knows — container counts by state, images, storage
 * and cgroup facts, kernel, OS, CPUs, memory, state root. Reads only.
 * @module
 */

import type { CliContext, Command } from "./context.ts";
import { bool, parseFlags, str } from "./flags.ts";
import { UsageError } from "../errors.ts";
import { listContainers } from "../container/store.ts";
import { liveView } from "../container/live.ts";
import { ImageStore } from "../image/store.ts";
import { CGROUP_ROOT, detectVersion, hostInfo, hostMemTotal } from "../cgroup/mod.ts";
import { realCgroupFs } from "../cgroup/fs.ts";
import { formatBytes } from "../cgroup/stats_view.ts";
import { DOCKER_API_VERSION, VERSION } from "../version.ts";
import { compileTemplate, runTemplate, writeOut } from "../template/format.ts";
import { goJson } from "../template/funcs.ts";

const USAGE = `Usage: tsbox info [OPTIONS]

Display system-wide information

Options:
  -f, --format FORMAT   'json' or a Go template ({{.Containers}}, {{.CgroupVersion}}, {{json .}})

Exit status: 1 for a bad template.`;

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(Deno.readTextFileSync("/etc/os-release"));
    return m?.[1] ?? "Linux";
  } catch (err) {
    // a minimal system without os-release: say what we know
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return "Linux";
  }
}

function cgroupVersion(): string {
  try {
    return String(detectVersion(realCgroupFs, CGROUP_ROOT));
  } catch (err) {
    // no cgroup filesystem mounted (a bare chroot): nothing to report
    if (!(err instanceof Error)) throw err;
    return "";
  }
}

/** The data `--format` sees (docker's system.Info field names). */
export function systemInfo(ctx: CliContext) {
  const views = listContainers(ctx.paths).map(liveView);
  const running = views.filter((v) => v.running).length;
  const store = new ImageStore(ctx.paths);
  let images: number;
  try {
    images = store.list().length;
  } finally {
    store.close();
  }
  const arch = Deno.build.arch;
  return {
    ID: "",
    Containers: views.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: views.length - running,
    Images: images,
    Driver: "overlay2",
    DriverStatus: [["Backing Filesystem", "overlay"]],
    LoggingDriver: "json-file",
    CgroupDriver: "cgroupfs",
    CgroupVersion: cgroupVersion(),
    KernelVersion: Deno.osRelease(),
    OperatingSystem: osName(),
    OSType: "linux",
    Architecture: arch,
    NCPU: hostInfo().cpus.length || navigator.hardwareConcurrency,
    MemTotal: hostMemTotal(),
    DockerRootDir: ctx.paths.root,
    Name: Deno.hostname(),
    Labels: [],
    Debug: ctx.debug,
    ServerVersion: VERSION,
    DefaultRuntime: "tsbox",
    Runtimes: { tsbox: { path: "tsbox __init" } },
    Warnings: [],
    ClientInfo: {
      Version: VERSION,
      ApiVersion: DOCKER_API_VERSION,
      Context: "default",
      Debug: ctx.debug,
    },
  };
}

function text(i: ReturnType<typeof systemInfo>): string {
  return [
    "Client: tsbox",
    ` Version:    ${i.ClientInfo.Version}`,
    ` Context:    ${i.ClientInfo.Context}`,
    ` Debug Mode: ${i.ClientInfo.Debug}`,
    "",
    "Server:",
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion} (no daemon: the local runtime)`,
    ` Storage Driver: ${i.Driver}`,
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ` Runtimes: ${Object.keys(i.Runtimes).join(" ")}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${formatBytes(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    "",
  ].join("\n");
}

/** `tsbox info`. */
export const main: Command = (args, ctx) => {
  const p = parseFlags(args, [
    { name: "format", short: "f", type: "string" },
    { name: "help", type: "bool" },
  ]);
  if (bool(p, "help")) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  if (p.positionals.length) throw new UsageError('"info" accepts no arguments');
  const fmt = str(p, "format");
  // parse before reading anything: a bad template fails alone
  const tpl = fmt && fmt !== "json" ? compileTemplate(fmt) : undefined;
  const i = systemInfo(ctx);
  if (tpl) writeOut(runTemplate(tpl, i) + "\n");
  else if (fmt === "json") writeOut(goJson(i) + "\n");
  else writeOut(text(i));
  return Promise.resolve(0);
};
