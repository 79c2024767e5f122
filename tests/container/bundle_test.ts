/**
 * A container's directory is an OCI bundle: `create` writes the runtime
 * spec as `config.json` (tsbox's record is `container.json`), it passes
 * tsbox's own validation and carries the flags; a start rewrites it
 * atomically; `inspect` shows where it is; and with `root.path` pointed at
 * an unpacked busybox, `tsbox-runc run` and `runc run` of that file print
 * what `tsbox start -a` printed. Requires root (and runc for the last test).
 */

import { join } from "node:path";
import { assert, assertEquals, assertNoLeaks, cli, ok, withSeededRoot } from "./_lifecycle.ts";
import { hasCommand, removeTree } from "../helpers/tsbox.ts";
import { makeBusyboxRootfs } from "../helpers/busybox.ts";
import { validateSpec } from "../../lib/oci/validate.ts";
import { ociResources } from "../../lib/cgroup/mod.ts";
import type { Spec } from "../../lib/oci/spec.ts";
import type { ContainerConfig } from "../../lib/container/store.ts";
import { REPO_ROOT } from "../oci/_suite.ts";

const MiB = 1 << 20;

/** Flags whose effect the spec must show, and a command that prints it from inside. */
const FLAGS =
  "create --network none -e FOO=bar --cap-add NET_ADMIN -m 64m --pids-limit 20 --read-only";
const PROBE = [
  "sh",
  "-c",
  [
    "echo FOO=$FOO",
    "hostname",
    "id",
    'grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status',
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
    "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
    "touch /probe 2>&1",
    "exit 3",
  ].join("; "),
];

function readJson<T>(file: string): T {
  return JSON.parse(Deno.readTextFileSync(file));
}

/** `tsbox create FLAGS busybox PROBE…`: its id and directory. */
async function create(root: string): Promise<{ id: string; dir: string }> {
  const id = (await ok(root, cli(FLAGS, "busybox", ...PROBE))).stdout.trim();
  return { id, dir: join(root, "containers", id) };
}

Deno.test("create: container.json is the record, config.json a valid OCI spec carrying the flags", async () => {
  await withSeededRoot(async (root) => {
    const { id, dir } = await create(root);
    const rec = readJson<ContainerConfig>(join(dir, "container.json"));
    assertEquals(rec.id, id);
    const spec = readJson<Spec>(join(dir, "config.json"));
    validateSpec(spec); // throws naming the field
    assertEquals(spec.root, { path: join(dir, "merged"), readonly: true });
    assertEquals(spec.process!.args, PROBE);
    assert(spec.process!.env!.includes("FOO=bar"), "-e FOO=bar in process.env");
    const caps = spec.process!.capabilities!;
    for (const set of [caps.bounding, caps.effective, caps.permitted]) {
      assert(set!.includes("CAP_NET_ADMIN"), "--cap-add NET_ADMIN");
    }
    assert(!caps.bounding!.includes("CAP_SYS_ADMIN"), "no more than asked");
    assertEquals(spec.linux!.resources!.memory!.limit, 64 * MiB);
    assertEquals(spec.linux!.resources!.pids, { limit: 20 });
    // what tsbox-runc would apply is what tsbox's own cgroup gets
    const { cpus: _folded, ...limits } = rec.resources as Record<string, unknown>;
    assertEquals(ociResources(spec.linux!.resources) as Record<string, unknown>, limits);
    assertEquals(spec.linux!.cgroupsPath, `/tsbox-${id}`);
    assertEquals(spec.hostname, rec.hostname);
  });
});

Deno.test("inspect: OCIConfigPath and OCIRuntime, podman's fields, in --format", async () => {
  await withSeededRoot(async (root) => {
    const { id, dir } = await create(root);
    const path = (await ok(root, ["inspect", "--format", "{{json .OCIConfigPath}}", id])).stdout;
    assertEquals(path, JSON.stringify(join(dir, "config.json")) + "\n");
    assertEquals((await ok(root, ["inspect", "-f", "{{.OCIRuntime}}", id])).stdout, "tsbox\n");
    const obj = JSON.parse((await ok(root, ["inspect", id])).stdout)[0];
    assertEquals(obj.OCIConfigPath, join(dir, "config.json"));
    assertEquals(obj.HostConfig.Memory, 64 * MiB, "docker's fields stay");
    // the spec itself, as the issue's `--format '{{json .OCISpec}}'`
    const spec = JSON.parse((await ok(root, ["inspect", "-f", "{{json .OCISpec}}", id])).stdout);
    assertEquals(spec, JSON.parse(Deno.readTextFileSync(join(dir, "config.json"))));
    assertEquals(spec.linux.resources.memory.limit, 64 * MiB);
  });
});

Deno.test("start: rewrites config.json atomically with the spec it ran, equal to create's", async () => {
  await withSeededRoot(async (root) => {
    const { id, dir } = await create(root);
    const file = join(dir, "config.json");
    const before = Deno.readTextFileSync(file);
    const ino = Deno.statSync(file).ino;
    const r = await ok(root, ["start", "-a", id], 3);
    assert(r.stdout.startsWith("FOO=bar\n"), r.stdout + r.stderr);
    assert(Deno.statSync(file).ino !== ino, "a new file renamed into place");
    assertEquals(readJson(file), JSON.parse(before), "create's spec is the one start generates");
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(".tmp-")), []);
  });
});

Deno.test("store: a record an older tsbox kept in config.json is read and moved to container.json", async () => {
  await withSeededRoot(async (root) => {
    const id = (await ok(root, cli("create --network none --name old busybox true"))).stdout.trim();
    const dir = join(root, "containers", id);
    Deno.renameSync(join(dir, "container.json"), join(dir, "config.json")); // the old layout
    assertEquals((await ok(root, ["inspect", "-f", "{{.Name}}", id])).stdout, "/old\n");
    await ok(root, ["start", "-a", "old"]);
    assertEquals(readJson<ContainerConfig>(join(dir, "container.json")).name, "old");
    validateSpec(readJson<Spec>(join(dir, "config.json"))); // the start wrote the OCI spec over it
    assertEquals((await ok(root, ["ps", "-a", "--format", "{{.Names}}"])).stdout, "old\n");
  });
});

/** Run `argv`, collecting stdout and stderr (stdin: /dev/null). */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

Deno.test({
  name: "bundle: tsbox-runc run and runc run of the written config.json print what tsbox start did",
  ignore: !hasCommand("runc"),
  fn: async () => {
    await withSeededRoot(async (root) => {
      const { id, dir } = await create(root);
      // the start writes the /etc files the spec binds, and is the reference output
      const ref = await ok(root, ["start", "-a", id], 3);
      const lines = ref.stdout.split("\n");
      assertEquals(lines[0], "FOO=bar");
      assert(lines.includes("CapEff:\t00000000a80435fb"), "docker's 14 + NET_ADMIN: " + ref.stdout);
      assert(lines.includes(String(64 * MiB)) && lines.includes("20"), "-m, --pids-limit");
      assert(ref.stdout.includes("Read-only file system"), "--read-only");
      const tmp = Deno.makeTempDirSync({ prefix: "tsbox-bundle-test-" });
      const runtimes = [
        { name: "tsbox-runc", bin: join(REPO_ROOT, "tsbox-runc"), state: join(tmp, "state-tsbox") },
        { name: "runc", bin: "runc", state: join(tmp, "state-runc") },
      ];
      const cid = `bundle-test-${id.slice(0, 12)}`;
      try {
        const bundle = join(tmp, "bundle");
        makeBusyboxRootfs(join(bundle, "rootfs"));
        const spec = readJson<Spec>(join(dir, "config.json"));
        spec.root!.path = "rootfs"; // relative to the bundle
        Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
        for (const rt of runtimes) {
          const r = await run([rt.bin, "--root", rt.state, "run", "--bundle", bundle, cid]);
          assertEquals(
            { code: r.code, out: r.out },
            { code: 3, out: ref.stdout },
            `${rt.name}: ${r.err}`,
          );
        }
      } finally {
        for (const rt of runtimes) {
          await run([rt.bin, "--root", rt.state, "delete", "--force", cid]);
        }
        await removeTree(tmp);
      }
      assertNoLeaks(root, [id]);
    });
  },
});

Deno.test("update: the bundle's linux.resources get the new limits, the rest of the spec stays", async () => {
  await withSeededRoot(async (root) => {
    const { id, dir } = await create(root);
    const before = readJson<Spec>(join(dir, "config.json"));
    await ok(root, ["update", "--pids-limit", "30", "--cpu-shares", "512", id]);
    const after = readJson<Spec>(join(dir, "config.json"));
    validateSpec(after);
    assertEquals(after.linux!.resources!.pids, { limit: 30 });
    assertEquals(after.linux!.resources!.cpu, { shares: 512 });
    assertEquals(after.linux!.resources!.memory, before.linux!.resources!.memory);
    assertEquals(after.linux!.resources!.devices, before.linux!.resources!.devices);
    const { resources: _r1, ...linuxAfter } = after.linux!;
    const { resources: _r2, ...linuxBefore } = before.linux!;
    assertEquals({ ...after, linux: linuxAfter }, { ...before, linux: linuxBefore });
  });
});
