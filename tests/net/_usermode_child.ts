/**
 * Child for the user-mode network tests that need another process as the
 * owner (the unprivileged user; the owner killed with SIGKILL). Args: one
 * JSON object `{ pid, runDir, publish: string[], allowHostLoopback, backend? }`.
 * Prints one JSON line (the network, or `{ error }` with the formatted
 * error), then waits for stdin to close, stops the network and prints
 * "stopped". Bounded: exits by itself after 60 s.
 */
import { formatError } from "../../lib/errors.ts";
import { parsePublish } from "../../lib/net/ports.ts";
import { startUsermodeNet, type UsermodeBackend } from "../../lib/net/usermode.ts";
import { LinuxKernel } from "../../ffi/kernel.ts";

const cfg = JSON.parse(Deno.args[0]) as {
  pid: number;
  runDir: string;
  publish: string[];
  allowHostLoopback: boolean;
  backend?: UsermodeBackend;
};
const bound = setTimeout(() => Deno.exit(3), 60_000);
try {
  const net = await startUsermodeNet({
    target: { pid: cfg.pid },
    ports: cfg.publish.flatMap(parsePublish),
    runDir: cfg.runDir,
    allowHostLoopback: cfg.allowHostLoopback,
    backend: cfg.backend,
    kernel: new LinuxKernel(),
  });
  const { backend, pid, ports, readyMs, ip, gateway } = net;
  console.log(JSON.stringify({ backend, pid, ports, readyMs, ip, gateway, uid: Deno.uid() }));
  for await (const _ of Deno.stdin.readable) { /* until the test closes our stdin */ }
  await net.stop();
  console.log("stopped");
} catch (err) {
  console.log(JSON.stringify({ error: formatError(err) }));
} finally {
  clearTimeout(bound);
}
