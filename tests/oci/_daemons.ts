/**
 * Private containerd, dockerd and podman environments for the OCI caller
 * tests: each in its own temp dir (roots, state, sockets, pid files), with a
 * logging wrapper (./_runtime_log.ts) in front of the runtime under test
 * (default runc), a busybox image loaded, and a `stop()` that always leaves
 * nothing: containers removed through the caller, the daemon killed by pid,
 * leftover shims/conmons killed, mounts under the dir unmounted, the
 * caller's cgroups removed, the dir deleted. Root only.
 * @module
 */

import { basename, join } from "node:path";
import { makeBusyboxTar } from "../helpers/busybox.ts";
import { removeTree, type RunResult } from "../helpers/tsbox.ts";
import { type RuntimeLog, writeLoggingWrapper } from "./_runtime_log.ts";
import {
  hostPathsCreatedAfter,
  killAndWait,
  mountsUnder,
  processesMatching,
  removeCgroupTree,
  unmountUnder,
} from "./_cleanup.ts";

/** Image name every environment has loaded. */
export const BUSYBOX_IMAGE = "docker.io/library/busybox:latest";

/** What `stop()` found and removed after the orderly shutdown. */
export interface Leftovers {
  processes: number;
  mounts: string[];
  cgroups: string[];
  /** Host paths outside the env dir the caller created (removed when empty). */
  hostPaths: string[];
}

/** Host paths containerd 1.6 creates whatever its config says (shim sockets, ctr fifos). */
const CONTAINERD_HOST_PATHS = ["/run/containerd/s", "/run/containerd/fifo", "/run/containerd"];
/** dockerd 20.10: the libtrust key and the plugin socket dir, plus its containerd's. */
const DOCKERD_HOST_PATHS = [
  "/etc/docker/key.json",
  "/run/docker/plugins",
  "/run/docker",
  ...CONTAINERD_HOST_PATHS,
];
/** podman 4.3: containers/image's blob-info cache. */
const PODMAN_HOST_PATHS = [
  "/var/lib/containers/cache/blob-info-cache-v1.boltdb",
  "/var/lib/containers/cache",
  "/var/lib/containers",
];

/** One caller with the runtime under test plugged in. */
export interface CallerEnv {
  kind: "containerd" | "dockerd" | "podman";
  /** Everything of this environment lives below this dir. */
  dir: string;
  /** The runtime the caller drives (through `log.wrapper`). */
  runtime: string;
  /** The logging wrapper's record of every runtime call. */
  log: RuntimeLog;
  /** Run the caller's CLI (ctr / docker / podman) with the environment's flags. */
  cli(args: string[], opts?: CliOptions): Promise<RunResult>;
  /** The runtime's own state root as this caller uses it (for leak checks). */
  runtimeRoot: string;
  /** Tear down; never throws before everything has been attempted. */
  stop(): Promise<Leftovers>;
}

/** Options of `cli()`. */
export interface CliOptions {
  stdin?: string;
  /** Run under `script` so the CLI sees a terminal (for `-t`). */
  tty?: boolean;
  timeoutMs?: number;
}

/** Options shared by the `start*` functions. */
export interface EnvOptions {
  /** Runtime executable (default: runc from PATH). */
  runtime?: string;
  /** Keep the runtime-call log here (outside the env dir, so it survives `stop()`). */
  logDir?: string;
  /**
   * The caller drives the runtime itself, not through the logging wrapper
   * (benchmarks: the wrapper runs ~15 processes per runtime call). Podman only.
   */
  direct?: boolean;
}

function which(cmd: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    try {
      if (Deno.statSync(join(dir, cmd)).isFile) return join(dir, cmd);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  throw new Error(`tsbox: oci callers: ${cmd}: not found on PATH`);
}

async function exec(
  cmd: string,
  args: string[],
  opts: CliOptions & { env?: Record<string, string> } = {},
): Promise<RunResult> {
  let argv = [cmd, ...args];
  if (opts.tty) {
    const line = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    argv = ["script", "-qefc", line, "/dev/null"];
  }
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch (err) {
      // exited between the timer and the kill
      if (!(err instanceof TypeError)) throw err;
    }
  }, opts.timeoutMs ?? 90_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Wait until `probe` succeeds (the daemon answers on its socket) or its process exits. */
async function waitReady(
  what: string,
  child: Deno.ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 600; i++) {
    if (exited) break;
    if (await probe()) return;
    // no event to wait on for "socket accepts": poll the probe
    await new Promise((r) => setTimeout(r, 100));
  }
  let tail = "";
  try {
    tail = Deno.readTextFileSync(logFile).split("\n").slice(-15).join("\n");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  throw new Error(
    `tsbox: oci callers: ${what} did not start${exited ? " (exited)" : ""}:\n${tail}`,
  );
}

function spawnDaemon(cmd: string, args: string[], logFile: string, env?: Record<string, string>) {
  const f = Deno.openSync(logFile, { write: true, create: true, append: true });
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  // drain both pipes into the log file
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) f.writeSync(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).finally(() => f.close());
  return { child, pumps };
}

async function stopDaemon(
  d: { child: Deno.ChildProcess; pumps: Promise<unknown> },
  timeoutMs = 20_000,
): Promise<void> {
  try {
    d.child.kill("SIGTERM");
  } catch (err) {
    // already exited
    if (!(err instanceof TypeError)) throw err;
  }
  const timer = setTimeout(() => {
    try {
      d.child.kill("SIGKILL");
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
  }, timeoutMs);
  await d.child.status;
  clearTimeout(timer);
  await d.pumps;
}

/** Final sweep shared by all environments; every step runs even if one fails. */
async function sweep(
  dir: string,
  cgroupTops: string[],
  restoreHost: () => string[],
): Promise<Leftovers> {
  const errors: unknown[] = [];
  const left: Leftovers = { processes: 0, mounts: [], cgroups: [], hostPaths: [] };
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (err) {
      errors.push(err);
    }
  };
  // podman's conmon runs `podman container cleanup` after its container
  // exits, asynchronously to `podman rm`: give such helpers time to finish
  // on their own (observable: their /proc entries go), then kill the rest.
  for (let i = 0; i < 100 && processesMatching(dir).length; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  attempt(() => {
    const pids = processesMatching(dir);
    left.processes = pids.length;
    killAndWait(pids);
  });
  attempt(() => left.mounts = unmountUnder(dir));
  for (const top of cgroupTops) attempt(() => left.cgroups.push(...removeCgroupTree(top)));
  attempt(() => left.hostPaths = restoreHost());
  try {
    if (mountsUnder(dir).length === 0) {
      new Deno.Command("chmod", { args: ["-R", "u+w", dir], stderr: "null" }).outputSync();
      await removeTree(dir);
    }
  } catch (err) {
    errors.push(err);
  }
  if (errors.length) {
    throw new AggregateError(errors, `tsbox: oci callers: cleanup of ${dir} failed`);
  }
  return left;
}

let rootfsTar: string | undefined;
let dockerArchive: string | undefined;
let fixtureDir: string | undefined;

/** A busybox rootfs tar and a docker-archive of it, built once per process. */
async function busyboxFixtures(): Promise<{ rootfs: string; archive: string }> {
  if (rootfsTar && dockerArchive) return { rootfs: rootfsTar, archive: dockerArchive };
  fixtureDir = Deno.makeTempDirSync({ prefix: "tsbox-oci-image-" });
  globalThis.addEventListener("unload", removeBusyboxFixtures);
  const rootfs = join(fixtureDir, "rootfs.tar");
  makeBusyboxTar(rootfs);
  const layer = Deno.readFileSync(rootfs);
  const hex = (b: ArrayBuffer) =>
    Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  const diffId = hex(await crypto.subtle.digest("SHA-256", layer));
  const archiveDir = join(fixtureDir, "archive");
  Deno.mkdirSync(archiveDir);
  Deno.copyFileSync(rootfs, join(archiveDir, "layer.tar"));
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {
      Cmd: ["sh"],
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
  });
  const configId = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(config)));
  Deno.writeTextFileSync(join(archiveDir, `${configId}.json`), config);
  Deno.writeTextFileSync(
    join(archiveDir, "manifest.json"),
    JSON.stringify([{
      Config: `${configId}.json`,
      RepoTags: [BUSYBOX_IMAGE],
      Layers: ["layer.tar"],
    }]),
  );
  const archive = join(fixtureDir, "busybox-docker-archive.tar");
  const r = await exec("tar", ["-cf", archive, "-C", archiveDir, "."]);
  if (r.code !== 0) throw new Error(`tsbox: oci callers: docker-archive: ${r.stderr}`);
  rootfsTar = rootfs;
  dockerArchive = archive;
  return { rootfs, archive };
}

/** Remove the busybox fixtures built by this process (also done at unload). */
export function removeBusyboxFixtures(): void {
  if (fixtureDir) Deno.removeSync(fixtureDir, { recursive: true });
  fixtureDir = rootfsTar = dockerArchive = undefined;
}

function runtimeOf(opts: EnvOptions): string {
  return opts.runtime ?? which("runc");
}

/** The containerd namespace the tests use (also the cgroup parent `/<ns>/<id>`). */
export const CTR_NAMESPACE = "tsboxtest";

/**
 * Start a private containerd (own config.toml, root, state, sockets; CRI off)
 * and import busybox into namespace `tsboxtest`. `cli()` is `ctr --address
 * SOCK --namespace tsboxtest …`; pass `--runc-binary env.log.wrapper` and
 * `--runc-root env.runtimeRoot` to `ctr run` (see `ctrRunArgs`).
 */
export async function startContainerd(opts: EnvOptions = {}): Promise<CallerEnv> {
  const runtime = runtimeOf(opts);
  const restoreHost = hostPathsCreatedAfter(CONTAINERD_HOST_PATHS);
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-containerd-" });
  const log = writeLoggingWrapper(
    opts.logDir ?? join(dir, "runtime-log"),
    runtime,
    basename(runtime),
  );
  const sock = join(dir, "containerd.sock");
  const cfg = join(dir, "config.toml");
  Deno.writeTextFileSync(
    cfg,
    `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  address = "${sock}.debug"
  level = "info"
[metrics]
  address = ""
`,
  );
  const daemonLog = join(dir, "containerd.log");
  const d = spawnDaemon("containerd", ["--config", cfg], daemonLog);
  const runtimeRoot = join(dir, "runc-root");
  const cli = (args: string[], o: CliOptions = {}) =>
    exec("ctr", ["--address", sock, "--namespace", CTR_NAMESPACE, ...args], o);
  const env: CallerEnv = {
    kind: "containerd",
    dir,
    runtime,
    log,
    cli,
    runtimeRoot,
    stop: async () => {
      const errors: unknown[] = [];
      try {
        const tasks = await cli(["task", "ls", "-q"]);
        for (const id of tasks.stdout.split("\n").filter(Boolean)) {
          await cli(["task", "kill", "-s", "SIGKILL", id]);
          await cli(["task", "delete", "-f", id]);
        }
        const ctrs = await cli(["container", "ls", "-q"]);
        for (const id of ctrs.stdout.split("\n").filter(Boolean)) {
          await cli(["container", "delete", id]);
        }
      } catch (err) {
        errors.push(err);
      }
      await stopDaemon(d);
      const left = await sweep(dir, [`/${CTR_NAMESPACE}`], restoreHost);
      if (errors.length) throw new AggregateError(errors, "tsbox: oci callers: containerd stop");
      return left;
    },
  };
  try {
    await waitReady("containerd", d.child, daemonLog, async () => {
      try {
        Deno.statSync(sock);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
      return (await exec("ctr", ["--address", sock, "version"], { timeoutMs: 5000 })).code === 0;
    });
    const { archive } = await busyboxFixtures();
    const r = await cli(["image", "import", archive]);
    if (r.code !== 0) throw new Error(`tsbox: oci callers: ctr image import: ${r.stderr}`);
  } catch (err) {
    await env.stop();
    throw err;
  }
  return env;
}

/** `ctr run` flags that route the container through the environment's runtime. */
export function ctrRunArgs(env: CallerEnv): string[] {
  return ["--runc-binary", env.log.wrapper, "--runc-root", env.runtimeRoot];
}

/** The name under which dockerd knows the runtime under test. */
export const DOCKER_RUNTIME_NAME = "logrunc";

/**
 * Start a private dockerd (own --data-root, --exec-root, --pidfile, unix
 * socket, empty daemon.json, no iptables, no bridge; it starts its own
 * managed containerd under --exec-root) with the runtime added as
 * `logrunc`, and `docker import` busybox. `cli()` is `docker --host …`;
 * pass `--runtime logrunc` to run/create.
 */
export async function startDockerd(opts: EnvOptions = {}): Promise<CallerEnv> {
  const runtime = runtimeOf(opts);
  const restoreHost = hostPathsCreatedAfter(DOCKERD_HOST_PATHS);
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-dockerd-" });
  const log = writeLoggingWrapper(
    opts.logDir ?? join(dir, "runtime-log"),
    runtime,
    basename(runtime),
  );
  const sock = join(dir, "docker.sock");
  const execRoot = join(dir, "exec");
  Deno.writeTextFileSync(join(dir, "daemon.json"), "{}\n");
  const daemonLog = join(dir, "dockerd.log");
  const d = spawnDaemon("dockerd", [
    "--config-file",
    join(dir, "daemon.json"),
    "--data-root",
    join(dir, "data"),
    "--exec-root",
    execRoot,
    "--pidfile",
    join(dir, "docker.pid"),
    "-H",
    `unix://${sock}`,
    "--iptables=false",
    "--ip6tables=false",
    "--ip-masq=false",
    "--bridge=none",
    "--userland-proxy=false",
    "--storage-driver",
    "overlay2",
    "--add-runtime",
    `${DOCKER_RUNTIME_NAME}=${log.wrapper}`,
  ], daemonLog);
  // the Debian client (same version as the daemon), not a newer one on PATH
  const client = (() => {
    try {
      Deno.statSync("/usr/bin/docker");
      return "/usr/bin/docker";
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      return "docker";
    }
  })();
  const cliEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: dir,
    DOCKER_CONFIG: join(dir, "cli"),
  };
  const cli = (args: string[], o: CliOptions = {}) =>
    exec(client, ["--host", `unix://${sock}`, ...args], { ...o, env: cliEnv });
  const env: CallerEnv = {
    kind: "dockerd",
    dir,
    runtime,
    log,
    cli,
    runtimeRoot: join(execRoot, `runtime-${DOCKER_RUNTIME_NAME}`, "moby"),
    stop: async () => {
      const errors: unknown[] = [];
      try {
        const ids = (await cli(["ps", "-aq"])).stdout.split("\n").filter(Boolean);
        if (ids.length) await cli(["rm", "-f", ...ids]);
      } catch (err) {
        errors.push(err);
      }
      await stopDaemon(d);
      const left = await sweep(dir, ["/docker"], restoreHost);
      if (errors.length) throw new AggregateError(errors, "tsbox: oci callers: dockerd stop");
      return left;
    },
  };
  try {
    await waitReady("dockerd", d.child, daemonLog, async () => {
      try {
        Deno.statSync(sock);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
      return (await cli(["version"], { timeoutMs: 5000 })).code === 0;
    });
    const { rootfs } = await busyboxFixtures();
    const r = await cli(["import", "--change", 'CMD ["sh"]', rootfs, BUSYBOX_IMAGE]);
    if (r.code !== 0) throw new Error(`tsbox: oci callers: docker import: ${r.stderr}`);
  } catch (err) {
    await env.stop();
    throw err;
  }
  return env;
}

/**
 * Prepare a private podman (own --root, --runroot, --tmpdir, containers.conf,
 * cgroupfs manager, file events) with `--runtime` the logging wrapper, and
 * `podman import` busybox. No daemon: `cli()` is `podman <global flags> …`.
 * Runs need `--network none --ulimit nofile=1024:1024 --ulimit
 * nproc=1024:1024` here (root lacks CAP_SYS_RESOURCE): see `PODMAN_RUN_ARGS`.
 */
export async function startPodman(opts: EnvOptions = {}): Promise<CallerEnv> {
  const runtime = runtimeOf(opts);
  const restoreHost = hostPathsCreatedAfter(PODMAN_HOST_PATHS);
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-oci-podman-" });
  const log = writeLoggingWrapper(
    opts.logDir ?? join(dir, "runtime-log"),
    runtime,
    basename(runtime),
  );
  Deno.writeTextFileSync(
    join(dir, "containers.conf"),
    `[engine]\nevents_logger = "file"\nevents_logfile_path = "${dir}/events.log"\n` +
      `cgroup_manager = "cgroupfs"\n`,
  );
  Deno.mkdirSync(join(dir, "tmp"));
  const global = [
    "--root",
    join(dir, "root"),
    "--runroot",
    join(dir, "runroot"),
    "--tmpdir",
    join(dir, "libpod"),
    "--runtime",
    opts.direct ? runtime : log.wrapper,
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
    "--storage-driver",
    "overlay",
  ];
  const cliEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: dir,
    CONTAINERS_CONF: join(dir, "containers.conf"),
    TMPDIR: join(dir, "tmp"),
    XDG_RUNTIME_DIR: join(dir, "xdg"),
  };
  const cli = (args: string[], o: CliOptions = {}) =>
    exec("podman", [...global, ...args], { ...o, env: cliEnv });
  const env: CallerEnv = {
    kind: "podman",
    dir,
    runtime,
    log,
    cli,
    runtimeRoot: "",
    stop: async () => {
      const errors: unknown[] = [];
      try {
        await cli(["rm", "-af", "-t", "0"]);
        await cli(["system", "prune", "-f"]);
      } catch (err) {
        errors.push(err);
      }
      const left = await sweep(dir, ["/libpod_parent"], restoreHost);
      if (errors.length) throw new AggregateError(errors, "tsbox: oci callers: podman stop");
      return left;
    },
  };
  try {
    const { rootfs } = await busyboxFixtures();
    const r = await cli(["import", "--change", "CMD=sh", rootfs, BUSYBOX_IMAGE]);
    if (r.code !== 0) throw new Error(`tsbox: oci callers: podman import: ${r.stderr}`);
  } catch (err) {
    await env.stop();
    throw err;
  }
  return env;
}

/** Flags every `podman run` needs on this host. */
export const PODMAN_RUN_ARGS = [
  "--network",
  "none",
  "--ulimit",
  "nofile=1024:1024",
  "--ulimit",
  "nproc=1024:1024",
];
