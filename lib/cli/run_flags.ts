/**
 * `run` / `create` flags → `ContainerSpec`. Parsing stops at IMAGE; the
 * values of subsystem flags are kept raw here and validated by their owners
 * (volumes/, lib/cgroup, lib/net) before anything is created.
 * @module
 */

import { bool, type FlagDef, list, parseFlags, str } from "./flags.ts";
import { FlagError, UsageError } from "../errors.ts";
import { parseSignal } from "../signals.ts";
import type { ContainerSpec } from "../container/types.ts";
import { RESOURCE_FLAG_NAMES } from "../cgroup/parse.ts";
import { parseLabels } from "./labels.ts";
import { absoluteBindSource } from "./bind_source.ts";
import { PARITY_RUN_FLAGS, PARITY_USAGE, parityFields } from "./run_flags_parity.ts";

/** Flags of `run` (and `create`, which ignores -d and --rm semantics of attach). */
export const RUN_FLAGS: FlagDef[] = [
  { name: "detach", short: "d", type: "bool" },
  { name: "interactive", short: "i", type: "bool" },
  { name: "tty", short: "t", type: "bool" },
  { name: "rm", type: "bool" },
  { name: "detach-keys", type: "string" },
  { name: "name", type: "string" },
  { name: "env", short: "e", type: "list" },
  { name: "env-file", type: "list" },
  { name: "workdir", short: "w", type: "string" },
  { name: "user", short: "u", type: "string" },
  { name: "hostname", short: "h", type: "string" },
  { name: "entrypoint", type: "string" },
  { name: "volume", short: "v", type: "list" },
  { name: "mount", type: "list" },
  { name: "tmpfs", type: "list" },
  { name: "memory", short: "m", type: "string" },
  { name: "memory-swap", type: "string" },
  { name: "memory-reservation", type: "string" },
  { name: "cpus", type: "string" },
  { name: "cpu-shares", short: "c", type: "string" },
  { name: "cpu-period", type: "string" },
  { name: "cpu-quota", type: "string" },
  { name: "cpuset-cpus", type: "string" },
  { name: "cpuset-mems", type: "string" },
  { name: "pids-limit", type: "string" },
  { name: "network", type: "string", aliases: ["net"] },
  { name: "publish", short: "p", type: "list" },
  { name: "dns", type: "list" },
  { name: "add-host", type: "list" },
  { name: "pull", type: "string" },
  { name: "platform", type: "string" },
  { name: "quiet", short: "q", type: "bool" },
  { name: "label", short: "l", type: "list" },
  { name: "label-file", type: "list" },
  { name: "stop-signal", type: "string" },
  { name: "stop-timeout", type: "string" },
  { name: "cidfile", type: "string" },
  { name: "expose", type: "list" },
  { name: "publish-all", short: "P", type: "bool" },
  { name: "volumes-from", type: "list" },
  { name: "log-driver", type: "string" },
  { name: "log-opt", type: "list" },
  { name: "restart", type: "string" },
  { name: "health-cmd", type: "string" },
  { name: "health-interval", type: "string" },
  { name: "health-timeout", type: "string" },
  { name: "health-retries", type: "string" },
  { name: "health-start-period", type: "string" },
  { name: "no-healthcheck", type: "bool" },
  { name: "init", type: "bool" },
  { name: "cap-add", type: "list" },
  { name: "cap-drop", type: "list" },
  { name: "privileged", type: "bool" },
  { name: "security-opt", type: "list" },
  { name: "read-only", type: "bool" },
  { name: "ulimit", type: "list" },
  { name: "sysctl", type: "list" },
  { name: "cgroupns", type: "string" },
  { name: "oom-score-adj", type: "string" },
  { name: "device", type: "list" },
  { name: "device-cgroup-rule", type: "list" },
  { name: "userns", type: "string" },
  { name: "uidmap", type: "list" },
  { name: "gidmap", type: "list" },
  ...PARITY_RUN_FLAGS,
  { name: "help", type: "bool" },
];

/** Usage text of `run`. */
export const RUN_USAGE = `Usage: tsbox run [OPTIONS] IMAGE [COMMAND] [ARG...]

Create and run a new container from an image.

Options:
  -d, --detach               run in the background and print the container ID
  -i, --interactive          keep STDIN open
  -t, --tty                  allocate a pseudo-TTY
      --detach-keys KEYS     with -it: the keys that detach, leaving it running (default
                             "ctrl-p,ctrl-q"; run only, not create)
      --rm                   remove the container (and its anonymous volumes) when it exits
      --init                 run an init (tini) as PID 1: reaps zombies, forwards signals
      --restart POLICY       no | on-failure[:N] | always | unless-stopped (the monitor
                             restarts; without -d this CLI attaches to the first run and
                             returns its exit code; stop and kill are never undone)
      --health-cmd CMD       command to check health (run by the monitor of a -d container)
      --health-interval D    time between checks (default 30s; Go durations: 500ms, 1m30s)
      --health-timeout D     a check running longer fails (default 30s)
      --health-retries N     failures in a row that make it unhealthy (default 3)
      --health-start-period D  failures in this first period do not count (default 0s)
      --no-healthcheck       disable the image's HEALTHCHECK
      --name NAME            assign a name ("" generates one)
  -l, --label K=V            set a label (repeatable; K alone: empty value)
      --label-file FILE      read labels from a file (K=V lines, # comments)
      --stop-signal SIG      signal \`stop\` sends (default: the image's StopSignal, else SIGTERM)
      --stop-timeout S       seconds \`stop\` waits before SIGKILL (default 10, -1 forever)
      --cidfile FILE         write the container ID to FILE (refused if it exists)
      --log-driver D         json-file (default), local (rotated: 20m x 5) or none
      --log-opt K=V          max-size=10k|20m|1g, max-file=N (rotation; logs reads all files)
  -e, --env K=V              set an environment variable (repeatable)
      --env-file FILE        read environment variables from a file
  -w, --workdir DIR          working directory inside the container
  -u, --user USER[:GROUP]    user name or uid (and group)
  -h, --hostname NAME        container hostname
      --entrypoint CMD       override the image's entrypoint ("" clears it)
  -v, --volume SPEC          bind mount or volume (HOST:CTR[:OPTS], ./REL:CTR, NAME:CTR[:OPTS], CTR)
      --mount SPEC           type=bind|volume|tmpfs,source=…,target=…[,readonly]
      --volumes-from C[:ro|rw]  mount the volumes and binds of container C at the same paths
      --tmpfs PATH[:OPTS]    mount a tmpfs
  -m, --memory BYTES         memory limit (b, k, m, g)
      --memory-swap BYTES    memory+swap limit (-1 unlimited)
      --memory-reservation   soft memory limit
      --cpus N               number of CPUs (e.g. 0.5)
  -c, --cpu-shares N         relative CPU weight
      --cpu-period/--cpu-quota  CFS period/quota in µs
      --cpuset-cpus LIST     CPUs allowed (0-3, 0,1)
      --cpuset-mems LIST     memory nodes allowed
      --pids-limit N         process limit (-1 unlimited)
      --network MODE         none | host | bridge (default) | NAME
  -p, --publish SPEC         publish a port ([IP:]HOST:CTR[/proto])
  -P, --publish-all          publish every exposed port (image EXPOSE, --expose) to a random host port
      --expose PORT[/PROTO]  expose a port or a range (8000-8010/tcp) without publishing it
      --dns IP               DNS server
      --add-host NAME:IP     add a line to /etc/hosts
      --pull POLICY          missing (default) | always | never
      --platform OS/ARCH     platform when pulling
  -q, --quiet                no pull progress
      --cap-add CAP          add a Linux capability (CHOWN, CAP_NET_ADMIN, ALL …)
      --cap-drop CAP         drop a Linux capability (ALL drops every one)
      --privileged           all capabilities, no seccomp, no masked paths, host devices,
                             writable /sys and /proc/sys
      --security-opt OPT     seccomp=FILE|unconfined, no-new-privileges[=true|false]
      --read-only            mount the root filesystem read-only (volumes stay writable)
      --ulimit NAME=S[:H]    resource limit (nofile, nproc, core, …)
      --sysctl K=V           namespaced kernel parameter (net.*, kernel.shm*, kernel.msg*,
                             kernel.sem, fs.mqueue.*)
      --cgroupns MODE        private | host (default: private on cgroup v2, host on v1)
      --oom-score-adj N      OOM killer preference (-1000 … 1000)
      --device H[:C[:rwm]]   give the container a host device
      --device-cgroup-rule R allow a device class, e.g. 'c 10:229 rwm'
      --userns MODE          host | auto[:size=N]: root inside is a subordinate id outside
                             (default: host, or $TSBOX_USERNS)
      --uidmap C:H:N         map container uids C… to host uids H… (N of them)
      --gidmap C:H:N         the same for gids (default: as --uidmap)${PARITY_USAGE}`;

/** Parse one `--env-file`: `K=V` lines, `K` alone passes the host value, # comments. */
export function parseEnvFile(text: string, file: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.replace(/^\s+/, "");
    if (l === "" || l.startsWith("#")) return;
    const key = l.split("=", 1)[0];
    if (key === "" || /\s/.test(key)) {
      throw new UsageError(
        `invalid env file ${file} line ${i + 1}: variable '${key}' contains whitespaces`,
      );
    }
    out.push(l);
  });
  return out;
}

/** Resolve `-e K` (no `=`) from the host environment; unset host vars are dropped, as docker does. */
export function expandEnv(entries: string[], hostEnv: Record<string, string>): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.startsWith("=")) throw new UsageError(`invalid environment variable: ${e}`);
    if (e.includes("=")) out.push(e);
    else if (hostEnv[e] !== undefined) out.push(`${e}=${hostEnv[e]}`);
  }
  return out;
}

/** Parsed `run` command line. */
export interface RunArgs {
  spec: ContainerSpec;
  pull: "missing" | "always" | "never";
  platform?: string;
  quiet: boolean;
  help: boolean;
  /** `--cidfile`: where to write the new container's id. */
  cidfile?: string;
  /** `--detach-keys`, as given (checked by `run` when it attaches). */
  detachKeys?: string;
}

/**
 * `--stop-signal` / `--stop-timeout`, checked as docker does.
 * @throws {UsageError} an unknown signal (run/create: 125); {FlagError} a non-integer timeout.
 */
function stopOptions(
  signal: string | undefined,
  timeout: string | undefined,
): { stopSignal?: string; stopTimeout?: number } {
  const out: { stopSignal?: string; stopTimeout?: number } = {};
  if (signal !== undefined) {
    parseSignal(signal);
    out.stopSignal = signal;
  }
  if (timeout !== undefined) {
    if (!/^-?[0-9]+$/.test(timeout)) {
      throw new FlagError(`invalid argument "${timeout}" for "--stop-timeout" flag`);
    }
    out.stopTimeout = Number(timeout);
  }
  return out;
}

/**
 * Parse `run` args (after the word `run`).
 * @throws {UsageError} unknown flag, missing IMAGE, bad env file.
 */
export function parseRunArgs(args: string[], hostEnv: Record<string, string>): RunArgs {
  const p = parseFlags(args, RUN_FLAGS, true);
  if (bool(p, "help")) {
    return {
      spec: undefined as unknown as ContainerSpec,
      pull: "missing",
      quiet: false,
      help: true,
    };
  }
  const [image, ...cmd] = p.positionals;
  if (!image) {
    throw new UsageError(`"run" requires at least 1 argument`, {
      hint: "tsbox run [OPTIONS] IMAGE [COMMAND] [ARG...]",
    });
  }
  const envFromFiles = list(p, "env-file").flatMap((f) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(f);
    } catch (err) {
      throw new UsageError(`open ${f}: no such file or directory`, { cause: err });
    }
    return parseEnvFile(text, f);
  });
  const resources: Record<string, string> = {};
  for (const k of RESOURCE_FLAG_NAMES) {
    const v = str(p, k);
    if (v !== undefined) resources[k] = v;
  }
  const pull = str(p, "pull") ?? "missing";
  if (pull !== "missing" && pull !== "always" && pull !== "never") {
    throw new UsageError(
      `invalid pull option: '${pull}': must be one of "always", "missing" or "never"`,
    );
  }
  const name = str(p, "name");
  const spec: ContainerSpec = {
    image,
    cmd,
    entrypoint: str(p, "entrypoint"),
    env: expandEnv([...envFromFiles, ...list(p, "env")], hostEnv),
    workdir: str(p, "workdir"),
    user: str(p, "user"),
    hostname: str(p, "hostname"),
    name: name ? name.replace(/^\//, "") : undefined, // --name "" generates one, as docker
    tty: bool(p, "tty"),
    interactive: bool(p, "interactive"),
    autoRemove: bool(p, "rm"),
    detach: bool(p, "detach"),
    volumes: list(p, "volume").map((v) => absoluteBindSource(v, Deno.cwd())),
    mounts: list(p, "mount"),
    tmpfs: list(p, "tmpfs"),
    resources,
    network: str(p, "network") ?? "bridge",
    publish: list(p, "publish"),
    dns: list(p, "dns"),
    addHost: list(p, "add-host"),
    security: {
      capAdd: list(p, "cap-add"),
      capDrop: list(p, "cap-drop"),
      privileged: bool(p, "privileged"),
      securityOpt: list(p, "security-opt"),
      readOnly: bool(p, "read-only"),
      ulimits: list(p, "ulimit"),
      sysctls: list(p, "sysctl"),
      cgroupns: str(p, "cgroupns"),
      oomScoreAdj: str(p, "oom-score-adj"),
      devices: list(p, "device"),
      deviceCgroupRules: list(p, "device-cgroup-rule"),
    },
    labels: parseLabels(list(p, "label"), list(p, "label-file")),
    ...stopOptions(str(p, "stop-signal"), str(p, "stop-timeout")),
    expose: list(p, "expose"),
    publishAll: bool(p, "publish-all"),
    volumesFrom: list(p, "volumes-from"),
    logDriver: str(p, "log-driver"),
    logOpts: list(p, "log-opt").flatMap((o) => o.split(",")),
    restart: str(p, "restart"),
    health: {
      cmd: str(p, "health-cmd"),
      interval: str(p, "health-interval"),
      timeout: str(p, "health-timeout"),
      retries: str(p, "health-retries"),
      startPeriod: str(p, "health-start-period"),
      none: bool(p, "no-healthcheck"),
    },
    init: bool(p, "init"),
    userns: { userns: str(p, "userns"), uidmap: list(p, "uidmap"), gidmap: list(p, "gidmap") },
    ...parityFields(p),
  };
  return {
    spec,
    pull,
    platform: str(p, "platform"),
    quiet: bool(p, "quiet"),
    help: false,
    cidfile: str(p, "cidfile"),
    detachKeys: str(p, "detach-keys"),
  };
}
