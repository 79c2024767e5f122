/**
 * Integration tests of the user-mode network with slirp4netns, as root:
 * a namespace holder (util-linux unshare, a busybox httpd inside), a
 * published port fetched from the host, outbound TCP to the host's
 * loopback (10.0.2.2, only when allowed), UDP and DNS, bad input, and the
 * owner's SIGKILL. Every test stops slirp4netns and the holder in
 * `finally` and checks that no process naming its temp dir is left.
 * pasta and the unprivileged user: usermode_rootless_test.ts.
 */

import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { DENO } from "../helpers/tsbox.ts";
import { formatError, NetworkError } from "../../lib/errors.ts";
import { fromFileUrl } from "../../lib/url.ts";
import { pidStartTime } from "../../lib/container/proc.ts";
import { probeBind } from "../../lib/net/hostports.ts";
import { parsePublish } from "../../lib/net/ports.ts";
import { findHelper, startUsermodeNet } from "../../lib/net/usermode.ts";
import { nameservers } from "../../lib/net/etc_files.ts";
import { freePort, sh, tryFetch } from "./_netns.ts";
import {
  assertNothingLeft,
  BUSYBOX,
  dnsOutcome,
  hostServer,
  inNetns,
  pgrepF,
  reap,
  udpAsk,
  wgetIn,
  withHolder,
} from "./_usermode_ns.ts";

const integration = { ignore: Deno.uid() !== 0 || findHelper("slirp4netns") === undefined };
const CHILD = fromFileUrl(new URL("./_usermode_child.ts", import.meta.url));
const UDP_ECHO = fromFileUrl(new URL("./_udp_echo.ts", import.meta.url));

Deno.test({
  ...integration,
  name:
    "startUsermodeNet: slirp4netns publishes 127.0.0.1:PORT:80 and UDP, reaches the host's loopback as 10.0.2.2, forwards DNS",
  fn: () =>
    withHolder("map-root", async ({ dir, holder, text, setNet }) => {
      const host = hostServer();
      let echo: Deno.ChildProcess | undefined;
      try {
        const port = freePort();
        const uport = (await probeBind("127.0.0.1", 0, "udp"))!;
        const net = await startUsermodeNet({
          target: { pid: holder.pid },
          ports: [
            ...parsePublish(`127.0.0.1:${port}:80`),
            ...parsePublish(`127.0.0.1:${uport}:5353/udp`),
          ],
          runDir: dir,
          backend: "slirp4netns",
          allowHostLoopback: true,
        });
        setNet(net);
        console.log(`slirp4netns ready in ${net.readyMs.toFixed(1)} ms (noisy: shared machine)`);
        assertEquals([net.ip, net.gateway, net.dns], ["10.0.2.100", "10.0.2.2", ["10.0.2.3"]]);
        assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);

        assertEquals(await wgetIn(holder.pid, `http://10.0.2.2:${host.port}/`), host.token);

        echo = new Deno.Command("nsenter", {
          args: ["-t", String(holder.pid), "-n", DENO, "run", "-A", "--no-lock", UDP_ECHO, "5353"],
          stdin: "null",
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
        const reader = echo.stdout.pipeThrough(new TextDecoderStream()).getReader();
        assertEquals((await reader.read()).value?.trim(), "ready");
        assertEquals(await udpAsk(uport, "ping"), "echo:ping");
        reader.releaseLock();

        const hostNs = nameservers(Deno.readTextFileSync("/etc/resolv.conf"))[0];
        const direct = hostNs
          ? dnsOutcome((await sh(BUSYBOX, ["nslookup", "example.com", hostNs])).out)
          : "none";
        if (direct === "none") {
          console.log("DNS: the host's own resolver does not answer here; forwarder not tested");
        } else {
          const inside = await inNetns(holder.pid, [
            BUSYBOX,
            "nslookup",
            "example.com",
            "10.0.2.3",
          ]);
          assertEquals(dnsOutcome(inside.out), direct, inside.out);
          console.log(`DNS through 10.0.2.3: ${direct}, as the host's ${hostNs} answers`);
        }

        await net.stop();
        assertEquals(pidStartTime(net.pid), undefined);
        assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`, 1000), undefined);
      } finally {
        if (echo) await reap(echo);
        await host.close();
      }
    }),
});

Deno.test({
  ...integration,
  name:
    "startUsermodeNet: slirp4netns denies the host's loopback by default, reaches its other addresses, picks a free host port",
  fn: () =>
    withHolder("map-root", async ({ dir, holder, text, setNet }) => {
      const hostIP = Deno.networkInterfaces().find((i) =>
        i.family === "IPv4" && !i.address.startsWith("127.")
      )?.address;
      const loop = hostServer();
      const other = hostIP ? hostServer(hostIP) : undefined;
      try {
        const net = await startUsermodeNet({
          target: { pid: holder.pid },
          ports: parsePublish("127.0.0.1::80"),
          runDir: dir,
          backend: "slirp4netns",
        });
        setNet(net);
        const port = net.ports[0].hostPort;
        assert(port > 0, "a host port was picked");
        assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);
        assertEquals(await wgetIn(holder.pid, `http://10.0.2.2:${loop.port}/`), undefined);
        if (other) {
          assertEquals(await wgetIn(holder.pid, `http://${hostIP}:${other.port}/`), other.token);
        }
      } finally {
        await loop.close();
        await other?.close();
      }
    }),
});

Deno.test({
  ...integration,
  name: "startUsermodeNet: slirp4netns on a rootful netns given by path (unshare --net as root)",
  fn: () =>
    withHolder("none", async ({ dir, holder, text, setNet }) => {
      const port = freePort();
      const net = await startUsermodeNet({
        target: { netnsPath: `/proc/${holder.pid}/ns/net` },
        ports: parsePublish(`127.0.0.1:${port}:80`),
        runDir: dir,
        backend: "slirp4netns",
      });
      setNet(net);
      assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);
    }),
});

Deno.test({
  ...integration,
  name: "startUsermodeNet: a busy host port is one clear line and starts nothing",
  fn: () =>
    withHolder("map-root", async ({ dir, holder }) => {
      const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (busy.addr as Deno.NetAddr).port;
      try {
        const err = await assertRejects(
          () =>
            startUsermodeNet({
              target: { pid: holder.pid },
              ports: parsePublish(`127.0.0.1:${port}:80`),
              runDir: dir,
              backend: "slirp4netns",
            }),
          NetworkError,
        );
        assertEquals(
          formatError(err).split("\n")[0],
          `tsbox: host port 127.0.0.1:${port}/tcp is already in use`,
        );
        assertEquals(await pgrepF(join(dir, "slirp4netns.sock")), []);
      } finally {
        busy.close();
      }
    }),
});

Deno.test({
  ...integration,
  name: "addPorts: slirp4netns' refusal of a busy port names it; the network keeps working",
  fn: () =>
    withHolder("map-root", async ({ dir, holder, text, setNet }) => {
      const port = freePort();
      const net = await startUsermodeNet({
        target: { pid: holder.pid },
        ports: parsePublish(`127.0.0.1:${port}:80`),
        runDir: dir,
        backend: "slirp4netns",
      });
      setNet(net);
      const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const q = (busy.addr as Deno.NetAddr).port;
      try {
        const err = await assertRejects(
          () => net.addPorts(parsePublish(`127.0.0.1:${q}:80`)),
          NetworkError,
          `cannot publish host port 127.0.0.1:${q}/tcp: slirp4netns: bad request`,
        );
        assertEquals(formatError(err).split("\n").length, 2); // the line and its hint
      } finally {
        busy.close();
      }
      const r = freePort();
      await net.addPorts(parsePublish(`127.0.0.1:${r}:80`));
      assertEquals(await tryFetch(`http://127.0.0.1:${r}/index.html`), text);
      assertEquals(await tryFetch(`http://127.0.0.1:${port}/index.html`), text);
      assertEquals(net.ports.map((p) => p.hostPort), [port, r]);
    }),
});

Deno.test({
  ...integration,
  name:
    "startUsermodeNet: a target that is gone fails with slirp4netns' own line and leaves nothing",
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsbox-um-" });
    try {
      const gone = new Deno.Command("true").spawn();
      await gone.status;
      const err = await assertRejects(
        () =>
          startUsermodeNet({
            target: { pid: gone.pid },
            ports: [],
            runDir: dir,
            backend: "slirp4netns",
          }),
        NetworkError,
        `slirp4netns failed: /proc/${gone.pid}/ns/net: No such file or directory`,
      );
      assertEquals(formatError(err).split("\n").length, 1, formatError(err));
    } finally {
      await assertNothingLeft(dir);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...integration,
  name: "startUsermodeNet: slirp4netns exits when its owner is killed with SIGKILL (exit fd)",
  fn: () =>
    withHolder("map-root", async ({ dir, holder }) => {
      const child = new Deno.Command(DENO, {
        args: [
          "run",
          "-A",
          "--no-lock",
          CHILD,
          JSON.stringify({ pid: holder.pid, runDir: dir, publish: [], allowHostLoopback: false }),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const monitor = new Deno.Command("nsenter", {
        args: ["-t", String(holder.pid), "-n", "ip", "-o", "monitor", "link"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const bound = setTimeout(() => reap(monitor), 20_000); // ends waitFor below if no event comes
      const lines = monitor.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const waitFor = async (re: RegExp) => {
        let seen = "";
        while (!re.test(seen)) {
          const r = await lines.read();
          if (r.done) throw new Error(`ip monitor ended before ${re}: ${seen}`);
          seen += r.value;
        }
      };
      try {
        const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        const info = JSON.parse((await out.read()).value!) as { pid: number; error?: string };
        assert(!info.error, info.error);
        out.releaseLock();
        // the monitor is listening once it reports a link we add
        const add = [
          "ip",
          "link",
          "add",
          "tsboxsync",
          "type",
          "veth",
          "peer",
          "name",
          "tsboxsync1",
        ];
        assertEquals((await inNetns(holder.pid, add)).code, 0);
        await waitFor(/tsboxsync/);
        child.kill("SIGKILL");
        await child.status;
        await waitFor(/Deleted[^\n]*tap0/); // slirp4netns closed its tap: it is exiting
        if (pidStartTime(info.pid) !== undefined) { // caught in its last instants
          await sh("timeout", ["5", "tail", `--pid=${info.pid}`, "-f", "/dev/null"]);
        }
        assertEquals(pidStartTime(info.pid), undefined, "slirp4netns outlived its owner");
      } finally {
        clearTimeout(bound);
        await reap(child);
        await reap(monitor);
      }
    }),
});
