/**
 * A logging OCI runtime: a /bin/sh wrapper that records every call a caller
 * (containerd's shim, dockerd, podman/conmon) makes — argv, cwd, environment,
 * open fds, for `create`/`run` the bundle's config.json, for `exec` the
 * process.json, the pid file written, the exit status and, for the read-only
 * verbs, the stdout the caller parses — then runs the real runtime.
 * Used to write tests/oci/CALLERS.md and by the callers tests to assert the
 * call sequence.
 * @module
 */

import { join } from "node:path";

/** A logging wrapper installed in a directory. */
export interface RuntimeLog {
  /** The executable to hand to the caller as its runtime. */
  wrapper: string;
  /** Directory with one `call-N/` per invocation (info, exit, stdout, config.json…). */
  dir: string;
}

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Write `dir/bin/<name>` (default name "logrunc"; give the real runtime's
 * basename when the caller looks at it, as podman does) wrapping `runtime`. Short verbs (state, ps, features,
 * list, start, kill, delete, pause, resume, update, and `exec --detach`) run
 * as a child so the status and stdout are logged; `create` runs as a child
 * too (its stdio is the caller's, passed straight through) so its pid file
 * can be read after; foreground `run`/`exec` are exec'd.
 */
export function writeLoggingWrapper(dir: string, runtime: string, name = "logrunc"): RuntimeLog {
  Deno.mkdirSync(join(dir, "bin"), { recursive: true });
  const wrapper = join(dir, "bin", name);
  const script = `#!/bin/sh
# logging OCI runtime wrapper (tests/oci/_runtime_log.ts); real runtime: ${runtime}
DIR=${q(dir)}
REAL=${q(runtime)}
n=$(ls "$DIR" | grep -c '^call-')
while :; do n=$((n + 1)); mkdir "$DIR/call-$n" 2>/dev/null && break; done
C="$DIR/call-$n"
# The shell's own fds before any redirection (dash moves redirected fds to
# 10+ in the shell itself): what the caller passed. find writes the file
# itself, so the shell redirects nothing; fd 10 is dash's script fd.
find /proc/$$/fd -mindepth 1 -fprintf "$C/fds" '%f -> %l\n'
sub=""; bundle=""; pidfile=""; process=""; detach=""; skip=""
for a in "$@"; do
  if [ -n "$skip" ]; then
    case "$skip" in bundle) bundle="$a";; pidfile) pidfile="$a";; process) process="$a";; esac
    skip=""; continue
  fi
  case "$a" in
    --root|--log|--log-format|--criu|--rootless) [ -z "$sub" ] && skip=x;;
    --bundle|-b) skip=bundle;;
    --bundle=*) bundle="\${a#--bundle=}";;
    --pid-file) skip=pidfile;;
    --pid-file=*) pidfile="\${a#--pid-file=}";;
    --process|-p) skip=process;;
    --process=*) process="\${a#--process=}";;
    --console-socket|--preserve-fds|--cwd|--user|-u|--env|-e|--cap|-c|--format|-f|--signal|--apparmor|--process-label|--additional-gids|-g|--resources|-r|--cgroup) skip=x;;
    --detach|-d) detach=1;;
    -*) ;;
    *) [ -z "$sub" ] && sub="$a";;
  esac
done
{
  echo "time: $(date -u +%H:%M:%S.%N)"
  echo "pid: $$"
  echo "parent: $(tr '\\0' ' ' < /proc/$PPID/cmdline 2>/dev/null | cut -c1-300)"
  printf 'argv:'; for a in "$@"; do printf ' %s' "$a"; done; echo
  echo "cwd: $(pwd)"
  echo "fds:"; sort -n "$C/fds" | grep -v " -> $0\$" | sed 's/^/  /'
  echo "env:"; env | sort | sed 's/^/  /'
} > "$C/info" 2>&1
if [ -z "$bundle" ]; then bundle=$(pwd); fi
case "$sub" in create|run) cp "$bundle/config.json" "$C/config.json" 2>/dev/null;; esac
if [ "$sub" = exec ] && [ -n "$process" ]; then cp "$process" "$C/process.json" 2>/dev/null; fi
case "$sub" in
  state|ps|features|list|--version|-v)
    "$REAL" "$@" > "$C/stdout"; rc=$?
    cat "$C/stdout"
    echo "$rc" > "$C/exit"
    exit $rc;;
  update)
    # the resources JSON arrives on stdin (--resources -): keep a copy
    cat > "$C/stdin"
    "$REAL" "$@" < "$C/stdin"; rc=$?
    echo "$rc" > "$C/exit"
    exit $rc;;
  create|start|kill|delete|pause|resume)
    "$REAL" "$@"; rc=$?
    echo "$rc" > "$C/exit"
    [ -n "$pidfile" ] && cat "$pidfile" > "$C/pidfile" 2>/dev/null
    exit $rc;;
  exec)
    if [ -n "$detach" ]; then
      "$REAL" "$@"; rc=$?
      echo "$rc" > "$C/exit"
      [ -n "$pidfile" ] && cat "$pidfile" > "$C/pidfile" 2>/dev/null
      exit $rc
    fi;;
esac
echo foreground > "$C/exec"
exec "$REAL" "$@"
`;
  Deno.writeTextFileSync(wrapper, script);
  Deno.chmodSync(wrapper, 0o755);
  return { wrapper, dir };
}

/** One logged call. */
export interface LoggedCall {
  n: number;
  argv: string[];
  cwd: string;
  /** `N -> target` of each fd open at the call (the wrapper's own script fd removed). */
  fds: string[];
  env: string[];
  /** The command line of the caller (parent process). */
  parent: string;
  /** Exit status (undefined for foreground run/exec, which are exec'd). */
  exit?: number;
  /** Stdout of read-only verbs (state, ps, features, list). */
  stdout?: string;
  /** The bundle's config.json (create/run) or the process.json (exec --process). */
  config?: string;
  process?: string;
  /** Contents of the --pid-file after the call. */
  pidFile?: string;
  /** What `update` read on stdin. */
  stdin?: string;
}

function readOpt(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Read the calls logged in `log.dir`, in order. */
export function readCalls(log: RuntimeLog): LoggedCall[] {
  const calls: LoggedCall[] = [];
  for (const e of Deno.readDirSync(log.dir)) {
    const m = /^call-(\d+)$/.exec(e.name);
    if (!m) continue;
    const d = join(log.dir, e.name);
    const info = readOpt(join(d, "info")) ?? "";
    const call: LoggedCall = {
      n: Number(m[1]),
      argv: [],
      cwd: "",
      fds: [],
      env: [],
      parent: "",
    };
    let section = "";
    for (const line of info.split("\n")) {
      if (line.startsWith("  ") && section) {
        (section === "fds" ? call.fds : call.env).push(line.slice(2));
        continue;
      }
      section = line === "fds:" ? "fds" : line === "env:" ? "env" : "";
      if (line.startsWith("argv:")) call.argv = line.slice(5).trim().split(" ").filter(Boolean);
      else if (line.startsWith("cwd: ")) call.cwd = line.slice(5);
      else if (line.startsWith("parent: ")) call.parent = line.slice(8).trim();
    }
    const exit = readOpt(join(d, "exit"));
    if (exit !== undefined) call.exit = Number(exit.trim());
    call.stdout = readOpt(join(d, "stdout"));
    call.config = readOpt(join(d, "config.json"));
    call.process = readOpt(join(d, "process.json"));
    call.pidFile = readOpt(join(d, "pidfile"))?.trim();
    call.stdin = readOpt(join(d, "stdin"));
    calls.push(call);
  }
  return calls.sort((a, b) => a.n - b.n);
}

/** The verb of a call (first non-flag argument after the global flags). */
export function verbOf(call: LoggedCall): string {
  const withValue = new Set(["--root", "--log", "--log-format", "--criu", "--rootless"]);
  for (let i = 0; i < call.argv.length; i++) {
    const a = call.argv[i];
    if (withValue.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return "";
}
