import { assert, assertEquals } from "../helpers/assert.ts";
import { containerSpec, USER_ANNOTATION, volumeMounts } from "../../lib/specgen/container_spec.ts";
import { buildSecurity } from "../../lib/security/settings.ts";
import type { ContainerConfig } from "../../lib/container/store.ts";
import type { PreparedMount } from "../../volumes/types.ts";

const flags = {
  capAdd: [],
  capDrop: [],
  privileged: false,
  securityOpt: [],
  readOnly: true,
  ulimits: ["nofile=10:20"],
  sysctls: [],
  devices: [],
  deviceCgroupRules: [],
};

function config(privileged = false): ContainerConfig {
  const security = buildSecurity({ ...flags, privileged }, {
    ownNetns: true,
    cgroupV2: false,
    deviceFs: { realPath: (p) => p, lstat: () => Deno.lstatSync("/"), readDir: () => [] },
    hostDevices: () => [],
    available: ["CAP_CHOWN", "CAP_SYS_ADMIN"],
  });
  return {
    id: "a".repeat(64),
    name: "n",
    created: "",
    spec: {} as ContainerConfig["spec"],
    image: { ref: "busybox", id: "sha256:x", layerDirs: [] },
    process: {
      args: ["sh"],
      env: ["PATH=/bin"],
      cwd: "/",
      uid: 0,
      gid: 0,
      groups: [],
      user: "nobody",
      tty: true,
    },
    hostname: "h",
    mounts: [{
      type: "bind",
      source: "/srv",
      target: "/a/b",
      readOnly: true,
      propagation: "rprivate",
      targetKind: "dir",
    }, {
      type: "tmpfs",
      source: "tmpfs",
      target: "/a",
      readOnly: false,
      propagation: "rprivate",
      targetKind: "dir",
      tmpfsOptions: ["size=1m"],
    }] as PreparedMount[],
    security,
  };
}

const inputs = {
  rootfs: "/c/merged",
  etcFiles: { hosts: "/c/hosts", resolvConf: "/c/resolv.conf", hostname: "/c/hostname" },
  cgroupsPath: "/tsbox-x",
};

Deno.test("containerSpec: process, root, namespaces, security fields as OCI has them", () => {
  const s = containerSpec(config(), inputs);
  assertEquals(s.process!.terminal, true);
  assertEquals(s.process!.env, ["PATH=/bin", "HOSTNAME=h", "TERM=xterm"]);
  assertEquals(s.process!.rlimits, [{ type: "RLIMIT_NOFILE", soft: 10, hard: 20 }]);
  assertEquals(s.process!.capabilities!.bounding!.length, 14);
  assertEquals(s.root, { path: "/c/merged", readonly: true });
  assertEquals(s.annotations![USER_ANNOTATION], "nobody");
  assertEquals(s.linux!.namespaces!.map((n) => n.type), ["pid", "ipc", "uts", "mount", "network"]);
  assertEquals(s.linux!.maskedPaths!.includes("/proc/keys"), true);
  assert(s.linux!.resources!.devices![0].allow === false, "deny all first");
  const hostNet = containerSpec(config(), { ...inputs, netns: null });
  assert(!hostNet.linux!.namespaces!.some((n) => n.type === "network"));
});

Deno.test("containerSpec: mounts are defaults, then volumes by depth, then the /etc files", () => {
  const dest = containerSpec(config(), inputs).mounts!.map((m) => m.destination);
  assertEquals(dest.slice(0, 7), [
    "/proc",
    "/dev",
    "/dev/pts",
    "/sys",
    "/sys/fs/cgroup",
    "/dev/mqueue",
    "/dev/shm",
  ]);
  assertEquals(dest.slice(7), ["/a", "/a/b", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"]);
  assertEquals(volumeMounts(config().mounts as PreparedMount[])[1].options, [
    "rbind",
    "ro",
    "rprivate",
  ]);
});

Deno.test("containerSpec: --privileged gets writable /sys and cgroups, no masks", () => {
  const s = containerSpec(config(true), inputs);
  const sys = s.mounts!.find((m) => m.destination === "/sys")!;
  assert(!sys.options!.includes("ro"));
  assertEquals(s.linux!.maskedPaths, []);
  assertEquals(s.process!.capabilities!.bounding, ["CAP_CHOWN", "CAP_SYS_ADMIN"]);
});

Deno.test("containerSpec: -m, --pids-limit, --cpus become linux.resources; the device rules stay the security's", () => {
  const c = config();
  c.resources = {
    memory: 64 << 20,
    pidsLimit: 20,
    cpus: 0.5,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    devices: [{ allow: true, access: "rwm" }], // not the security's rules: ignored
  };
  const r = containerSpec(c, inputs).linux!.resources!;
  assertEquals(r.memory, { limit: 64 << 20 });
  assertEquals(r.pids, { limit: 20 });
  assertEquals(r.cpu, { quota: 50000, period: 100000 });
  assertEquals(r.devices, c.security.linux.deviceRules);
  assertEquals(Object.keys(containerSpec(config(), inputs).linux!.resources!), ["devices"]);
});

Deno.test("containerSpec: additionalGids start with the primary gid (as dockerd sends 0:0 [0])", () => {
  assertEquals(containerSpec(config(), inputs).process!.user, {
    uid: 0,
    gid: 0,
    additionalGids: [0],
  });
  const c = config();
  c.process = { ...c.process, uid: 1000, gid: 50, groups: [50, 10] };
  assertEquals(containerSpec(c, inputs).process!.user.additionalGids, [50, 10]);
});
