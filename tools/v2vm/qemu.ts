/**
 * Boot the v2 test VM under QEMU TCG (KVM here does not boot a standard kernel) and
 * stream its console. The VM is always gone when `bootVm` returns: it powers itself
 * off, and on a timeout or any error the qemu process is SIGKILLed in `finally`.
 * @module
 */

/** What to boot and share. */
export interface VmOptions {
  vmlinuz: string;
  initramfs: string;
  /** Writable host directory shared as tag `out` (the guest's /v2vm). */
  outDir: string;
  /** RAM in MiB. */
  memoryMiB: number;
  cpus: number;
  /** Kill the VM after this many ms. */
  timeoutMs: number;
  /** Called with each console line (without the line end). */
  onLine: (line: string) => void;
}

/** How the VM ended. */
export interface VmResult {
  /** qemu's exit status (0 after the guest's poweroff). */
  qemuCode: number;
  /** True when the VM was killed on the timeout. */
  timedOut: boolean;
}

/** qemu-system-x86_64 argv for `o`. */
export function qemuArgs(o: VmOptions): string[] {
  return [
    ["-accel", "tcg"],
    ["-cpu", "max"],
    ["-m", String(o.memoryMiB)],
    ["-smp", String(o.cpus)],
    ["-nodefaults", "-no-user-config", "-no-reboot"],
    ["-display", "none", "-monitor", "none", "-serial", "stdio"],
    ["-kernel", o.vmlinuz, "-initrd", o.initramfs],
    ["-append", "console=ttyS0 quiet loglevel=3 panic=-1"],
    [
      "-virtfs",
      "local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap",
    ],
    ["-virtfs", `local,path=${o.outDir},mount_tag=out,security_model=none`],
  ].flat();
}

/** Boot, stream the console to `onLine`, wait for qemu to exit (or kill it on the timeout). */
export async function bootVm(o: VmOptions): Promise<VmResult> {
  const child = new Deno.Command("qemu-system-x86_64", {
    args: qemuArgs(o),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill(child);
  }, o.timeoutMs);
  // ^C or a TERM of the task: take the VM down first (finally does not run on a signal)
  const onSignal = () => {
    kill(child);
    Deno.exit(130);
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const l of lines) o.onLine(l.replace(/\r$/, ""));
    }
    if (rest) o.onLine(rest);
    const status = await child.status;
    exited = true;
    return { qemuCode: status.code, timedOut };
  } finally {
    clearTimeout(timer);
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    if (!exited) {
      kill(child);
      await child.status;
    }
  }
}

/** SIGKILL qemu unless it is already gone. */
function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch (err) {
    // it exited between the check and the kill
    if (!(err instanceof TypeError)) throw err;
  }
}
