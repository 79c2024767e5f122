/**
 * Tests of the user-mode network's pure parts (no root): slirp4netns and
 * pasta argv, the add_hostfwd request, the host's default route, option
 * checks before any side effect, backend choice and resolv.conf.
 */

import { assert, assertEquals, assertMatch, assertThrows } from "../helpers/assert.ts";
import { formatError, NetworkError, UsageError } from "../../lib/errors.ts";
import { parsePublish } from "../../lib/net/ports.ts";
import { defaultRoute, pastaArgs, pastaPortSpecs } from "../../lib/net/pasta.ts";
import { hostfwdRequest, slirpArgs } from "../../lib/net/slirp4netns.ts";
import { chooseBackend, validateUsermode } from "../../lib/net/usermode.ts";
import { buildUsermodeResolvConf, writeUsermodeResolvConf } from "../../lib/net/usermode_resolv.ts";

Deno.test("slirpArgs: podman's flags, ready/exit fds, loopback and sandbox options, pid or path target", () => {
  const base = { mtu: 65520, apiSocket: "/run/x/api.sock", sandbox: false };
  assertEquals(slirpArgs({ ...base, target: { pid: 42 }, allowHostLoopback: false }), [
    "--configure",
    "--mtu=65520",
    "--ready-fd=3",
    "--exit-fd=4",
    "--api-socket=/run/x/api.sock",
    "--disable-host-loopback",
    "42",
    "tap0",
  ]);
  const path = slirpArgs({
    ...base,
    sandbox: true,
    allowHostLoopback: true,
    target: { netnsPath: "/run/netns/n", usernsPath: "/proc/7/ns/user" },
  });
  assert(!path.includes("--disable-host-loopback"));
  assertEquals(path.slice(-6), [
    "--enable-sandbox",
    "--enable-seccomp",
    "--netns-type=path",
    "--userns-path=/proc/7/ns/user",
    "/run/netns/n",
    "tap0",
  ]);
});

Deno.test("hostfwdRequest: every address for an empty host IP, the configured guest address", () => {
  assertEquals(hostfwdRequest(parsePublish("8080:80/udp")[0]), {
    execute: "add_hostfwd",
    arguments: {
      proto: "udp",
      host_addr: "0.0.0.0",
      host_port: 8080,
      guest_addr: "10.0.2.100",
      guest_port: 80,
    },
  });
});

Deno.test("pastaArgs: -t/-u per mapping or none, no namespace-to-host forwarding, --no-map-gw by default", () => {
  const ports = [...parsePublish("127.0.0.1:8080:80"), ...parsePublish("5353:53/udp")];
  assertEquals(pastaPortSpecs(ports, "tcp"), ["127.0.0.1/8080:80"]);
  assertEquals(pastaPortSpecs(ports, "udp"), ["5353:53"]);
  assertEquals(pastaPortSpecs([], "tcp"), ["none"]);
  const a = pastaArgs({
    target: { pid: 9 },
    ports,
    mtu: 65520,
    allowHostLoopback: false,
    readyFifo: "/run/x/pasta.ready",
    asRoot: false,
  });
  assertEquals(
    a.join(" "),
    [
      "--foreground --quiet --config-net --mtu 65520",
      "-t 127.0.0.1/8080:80 -u 5353:53 -T none -U none --no-map-gw",
      "--pid /run/x/pasta.ready 9",
    ].join(" "),
  );
  const b = pastaArgs({
    target: { netnsPath: "/run/netns/n" },
    ports: [],
    mtu: 1500,
    allowHostLoopback: true,
    readyFifo: "/f",
    asRoot: true,
  });
  assert(!b.includes("--no-map-gw"));
  assertEquals(b.slice(-6), ["--runas", "0", "--pid", "/f", "--netns", "/run/netns/n"]);
});

Deno.test("defaultRoute: the IPv4 default route of /proc/net/route", () => {
  const text =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
    "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
    "eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  assertEquals(defaultRoute(text), { iface: "eth0", gateway: "10.0.2.1" });
  assertEquals(defaultRoute(text.split("\n").slice(0, 2).join("\n")), undefined);
});

Deno.test("validateUsermode: refuses bad targets, MTUs, run dirs, mappings before anything starts", () => {
  const ok = { target: { pid: 1 }, ports: parsePublish("127.0.0.1:8080:80"), runDir: "/run/t" };
  validateUsermode(ok);
  const bad: [object, string][] = [
    [{ target: { pid: 0 } }, "bad target pid 0"],
    [{ target: { netnsPath: "rel/ns" } }, "must be absolute"],
    [{ mtu: 100 }, "MTU 100 is outside"],
    [{ runDir: "run" }, "is not absolute"],
    [{ runDir: "/" + "d".repeat(100) }, "too long for a socket path"],
    [{ ports: [...ok.ports, ...parsePublish("8080:81")] }, "0.0.0.0:8080/tcp is published twice"],
    [{ ports: [{ ...ok.ports[0], hostIP: "::1" }] }, 'invalid host IP "::1"'],
    [{ ports: [{ ...ok.ports[0], containerPort: 0 }] }, "invalid port mapping 8080:0/tcp"],
  ];
  for (const [patch, msg] of bad) {
    const err = assertThrows(() => validateUsermode({ ...ok, ...patch }), UsageError, msg);
    assertEquals(formatError(err).split("\n").length, 1);
  }
});

Deno.test("parsePublish: a bad -p spec is one clear line", () => {
  for (const spec of ["127.0.0.1:http:80", "8080:80/sctp", "1:2:3:4"]) {
    const err = assertThrows(() => parsePublish(spec), UsageError);
    assertMatch(formatError(err), /^tsbox: invalid [^\n]+$/);
  }
});

Deno.test("chooseBackend: auto prefers slirp4netns, falls back to pasta, names the package when none", () => {
  const both = (n: string) => `/usr/bin/${n}`;
  assertEquals(chooseBackend("auto", both).backend, "slirp4netns");
  assertEquals(chooseBackend("auto", (n) => n === "pasta" ? "/usr/bin/pasta" : undefined), {
    backend: "pasta",
    binary: "/usr/bin/pasta",
  });
  const err = assertThrows(() => chooseBackend("auto", () => undefined), NetworkError);
  assertEquals(
    formatError(err),
    "tsbox: the user-mode network needs slirp4netns or pasta, which is not installed\n" +
      "hint: install the slirp4netns package",
  );
  assertThrows(() => chooseBackend("pasta", () => undefined), NetworkError, "needs pasta");
});

Deno.test("buildUsermodeResolvConf: slirp4netns' forwarder, --dns first, pasta keeps the host's", () => {
  const host =
    "nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n";
  assertEquals(
    buildUsermodeResolvConf(host, { dns: ["10.0.2.3"] }, []),
    "search corp.example\noptions ndots:2\nnameserver 10.0.2.3\n",
  );
  assertEquals(
    buildUsermodeResolvConf(host, { dns: ["10.0.2.3"] }, ["1.1.1.1"]),
    "search corp.example\noptions ndots:2\nnameserver 1.1.1.1\n",
  );
  assertEquals(
    buildUsermodeResolvConf(host, { dns: [] }, []),
    "nameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n",
  );
  const dir = Deno.makeTempDirSync({ prefix: "tsbox-um-resolv-" });
  try {
    const path = writeUsermodeResolvConf(dir, { dns: ["10.0.2.3"] }, [], () => host);
    assertEquals(
      Deno.readTextFileSync(path),
      "search corp.example\noptions ndots:2\nnameserver 10.0.2.3\n",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
