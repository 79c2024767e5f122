/**
 * Spec parsing: every valid -v / --mount / --tmpfs form and every class of
 * bad spec. Pure: no root, nothing on disk.
 * @module
 */

import assert from "node:assert/strict";
import { UsageError, VolumeError } from "../../lib/errors.ts";
import { parseMountFlags, withImageVolumes } from "../../volumes/spec.ts";
import { parseVolumeFlag } from "../../volumes/parse_volume_flag.ts";
import { parseMountFlag, splitCsv } from "../../volumes/parse_mount_flag.ts";
import { parseTmpfsFlag } from "../../volumes/parse_tmpfs_flag.ts";
import { ramInBytes, splitMountOptions } from "../../volumes/mount_options.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../../ffi/consts.ts";

function rejects(
  fn: () => unknown,
  includes: string,
  cls: new (...a: any[]) => Error = UsageError,
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    assert.ok(
      (err as Error).message.includes(includes),
      `"${(err as Error).message}" lacks "${includes}"`,
    );
    return true;
  });
}

Deno.test("parseVolumeFlag: bind with and without options", () => {
  const b = parseVolumeFlag("/srv/data/:/data");
  assert.equal(b.type, "bind");
  assert.equal(b.source, "/srv/data");
  assert.equal(b.target, "/data");
  assert.equal(b.readOnly, false);
  assert.equal(b.propagation, "rprivate");
  assert.equal(b.createSource, true);
  const ro = parseVolumeFlag("/a:/b//c/../d:ro,rshared,Z");
  assert.equal(ro.target, "/b/d");
  assert.equal(ro.readOnly, true);
  assert.equal(ro.propagation, "rshared");
  assert.equal(parseVolumeFlag("/a:/b:rw").readOnly, false);
  for (const p of ["private", "rprivate", "shared", "rshared", "slave", "rslave"]) {
    assert.equal(parseVolumeFlag(`/a:/b:${p}`).propagation, p);
  }
});

Deno.test("parseVolumeFlag: named and anonymous volumes", () => {
  const n = parseVolumeFlag("my_vol.1-x:/data:ro,nocopy");
  assert.equal(n.type, "volume");
  assert.equal(n.source, "my_vol.1-x");
  assert.equal(n.readOnly, true);
  assert.equal(n.noCopy, true);
  const a = parseVolumeFlag("/var/cache/");
  assert.equal(a.type, "volume");
  assert.equal(a.source, "");
  assert.equal(a.target, "/var/cache");
  assert.equal(a.noCopy, false);
});

Deno.test("parseVolumeFlag: every bad spec class is a UsageError", () => {
  rejects(() => parseVolumeFlag(""), "empty part");
  rejects(() => parseVolumeFlag("/a::/b"), "empty part");
  rejects(() => parseVolumeFlag("/a:/b:"), "empty part");
  rejects(() => parseVolumeFlag(":/b"), "empty part");
  rejects(() => parseVolumeFlag("/a:/b:ro:x"), "too many colons");
  rejects(() => parseVolumeFlag("/a:rel"), "must be absolute");
  rejects(() => parseVolumeFlag("rel"), "must be absolute");
  rejects(() => parseVolumeFlag("vol:/"), "destination can't be '/'");
  rejects(() => parseVolumeFlag("/a:/x/.."), "destination can't be '/'");
  rejects(() => parseVolumeFlag("/"), "destination can't be '/'");
  rejects(() => parseVolumeFlag("a:/x"), "invalid characters"); // one char: docker's regex needs two
  rejects(() => parseVolumeFlag("-x:/x"), "invalid characters");
  rejects(() => parseVolumeFlag("a$b:/x"), "invalid characters");
  rejects(() => parseVolumeFlag("./rel:/x"), "use absolute path");
  rejects(() => parseVolumeFlag("/a:/b:foo"), 'unknown option "foo"');
  rejects(() => parseVolumeFlag("/a:/b:ro,rw"), 'conflicting options "ro" and "rw"');
  rejects(() => parseVolumeFlag("/a:/b:shared,slave"), "conflicting options");
  rejects(() => parseVolumeFlag("/a:/b:ro,ro"), "given twice");
  rejects(() => parseVolumeFlag("/a:ro"), "anonymous volume takes no options");
  rejects(() => parseVolumeFlag("/a:/b:nocopy"), '"nocopy" is only valid for volumes');
  rejects(() => parseVolumeFlag("vol:/b:rshared"), "only valid for bind mounts");
  // the message names the spec as typed
  rejects(() => parseVolumeFlag("/a:/b:bogus"), "invalid volume specification: '/a:/b:bogus'");
});

Deno.test("parseMountFlag: bind, volume and tmpfs forms", () => {
  const b = parseMountFlag("type=bind,source=/srv,target=/data,readonly,bind-propagation=rslave");
  assert.deepEqual([b.type, b.source, b.target, b.readOnly, b.propagation, b.createSource], [
    "bind",
    "/srv",
    "/data",
    true,
    "rslave",
    false,
  ]);
  const b2 = parseMountFlag("type=bind,src=/srv,dst=/d,ro=false");
  assert.equal(b2.readOnly, false);
  assert.equal(parseMountFlag("TYPE=bind,Source=/s,destination=/d,ro=1").readOnly, true);
  const v = parseMountFlag(
    'type=volume,source=vol1,target=/v,volume-nocopy,volume-label=a=b,volume-label=c,"volume-opt=o=size=1m,uid=1",volume-opt=type=tmpfs,volume-opt=device=tmpfs',
  );
  assert.equal(v.type, "volume");
  assert.equal(v.source, "vol1");
  assert.equal(v.noCopy, true);
  assert.deepEqual(v.labels, { a: "b", c: "" });
  assert.deepEqual(v.options, { o: "size=1m,uid=1", type: "tmpfs", device: "tmpfs" });
  const anon = parseMountFlag("target=/anon"); // type defaults to volume, no source = anonymous
  assert.equal(anon.type, "volume");
  assert.equal(anon.source, "");
  assert.equal(parseMountFlag("type=volume,dst=/x,volume-nocopy=false").noCopy, false);
  const t = parseMountFlag("type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770");
  assert.deepEqual(t.tmpfsOptions, ["nosuid", "nodev", "size=67108864", "mode=1770"]);
  const tro = parseMountFlag("type=tmpfs,dst=/t,ro");
  assert.ok(tro.tmpfsOptions.includes("ro"));
});

Deno.test("parseMountFlag: every bad spec class is a UsageError", () => {
  rejects(() => parseMountFlag("type=bind,source=/s"), "target is required");
  rejects(() => parseMountFlag("type=bind,target=/t"), "Source must not be empty");
  rejects(() => parseMountFlag("type=bind,source=rel,target=/t"), "absolute path");
  rejects(() => parseMountFlag("type=bind,source=/s,target=rel"), "must be absolute");
  rejects(() => parseMountFlag("type=bind,source=/s,target=/"), "destination can't be '/'");
  rejects(() => parseMountFlag("type=nfs,target=/t"), "not supported");
  rejects(() => parseMountFlag("type=volume,target=/t,bogus=1"), "unexpected key 'bogus'");
  rejects(() => parseMountFlag("type=volume,target=/t,bogus"), "must be a key=value pair");
  rejects(() => parseMountFlag("type=volume,target=/t,,ro"), "empty field");
  rejects(() => parseMountFlag('type=volume,"target=/t'), "unterminated quote");
  rejects(
    () => parseMountFlag("type=bind,source=/s,target=/t,readonly=maybe"),
    "invalid value for readonly",
  );
  rejects(
    () => parseMountFlag("type=bind,source=/s,target=/t,volume-nocopy"),
    "cannot mix 'volume-*'",
  );
  rejects(
    () => parseMountFlag("type=volume,target=/t,bind-propagation=shared"),
    "cannot mix 'bind-*'",
  );
  rejects(() => parseMountFlag("type=volume,target=/t,tmpfs-size=1m"), "cannot mix 'tmpfs-*'");
  rejects(
    () => parseMountFlag("type=bind,source=/s,target=/t,bind-propagation=weird"),
    "invalid bind-propagation",
  );
  rejects(() => parseMountFlag("type=volume,source=x,target=/t"), "invalid characters");
  rejects(() => parseMountFlag("type=volume,target=/t,volume-driver=nfs"), "not supported");
  rejects(
    () => parseMountFlag("type=volume,target=/t,volume-opt=foo=bar"),
    'invalid option: "foo"',
  );
  rejects(
    () => parseMountFlag("type=volume,target=/t,volume-opt=type=tmpfs"),
    'missing required option: "device"',
  );
  rejects(() => parseMountFlag("type=tmpfs,source=x,target=/t"), "Source must not be specified");
  rejects(
    () => parseMountFlag("type=tmpfs,target=/t,tmpfs-size=lots"),
    "invalid value for tmpfs-size",
  );
  rejects(
    () => parseMountFlag("type=tmpfs,target=/t,tmpfs-mode=999"),
    "invalid value for tmpfs-mode",
  );
});

Deno.test("parseTmpfsFlag: defaults, options and bad specs", () => {
  const t = parseTmpfsFlag("/run");
  assert.deepEqual(t.tmpfsOptions, ["noexec", "nosuid", "nodev"]);
  const t2 = parseTmpfsFlag("/run/:exec,size=64m,mode=1777,uid=1000,ro");
  assert.equal(t2.target, "/run");
  assert.equal(t2.readOnly, true);
  const { flags, data } = splitMountOptions(t2.tmpfsOptions);
  assert.equal(flags & MS_NOEXEC, 0, "a later exec overrides the default noexec");
  assert.equal(flags & (MS_NOSUID | MS_NODEV | MS_RDONLY), MS_NOSUID | MS_NODEV | MS_RDONLY);
  assert.equal(data, "size=64m,mode=1777,uid=1000");
  rejects(() => parseTmpfsFlag("run"), "must be absolute");
  rejects(() => parseTmpfsFlag("/"), "destination can't be '/'");
  rejects(() => parseTmpfsFlag(":size=1m"), "empty path");
  rejects(() => parseTmpfsFlag("/t:size=1m,"), "empty option");
  rejects(() => parseTmpfsFlag("/t:bogus"), 'unknown tmpfs option "bogus"');
  rejects(() => parseTmpfsFlag("/t:size=huge"), "invalid value");
  rejects(() => parseTmpfsFlag("/t:mode=99"), "invalid value");
  rejects(() => parseTmpfsFlag("/t:bind"), "not a tmpfs option");
});

Deno.test("parseMountFlags: all flags together; duplicate targets are refused", () => {
  const specs = parseMountFlags({
    volume: ["/h:/a", "v1:/b", "/c"],
    mount: ["type=tmpfs,dst=/d"],
    tmpfs: ["/e"],
  });
  assert.deepEqual(specs.map((s) => [s.type, s.target]), [
    ["bind", "/a"],
    ["volume", "/b"],
    ["volume", "/c"],
    ["tmpfs", "/d"],
    ["tmpfs", "/e"],
  ]);
  rejects(
    () => parseMountFlags({ volume: ["/h:/a", "v1:/a/"], mount: [], tmpfs: [] }),
    "Duplicate mount point: /a",
  );
  rejects(
    () => parseMountFlags({ volume: ["/x"], mount: [], tmpfs: ["/x"] }),
    "Duplicate mount point: /x",
  );
  rejects(
    () =>
      parseMountFlags({ volume: [], mount: ["type=bind,src=/h,dst=/m", "dst=/m/."], tmpfs: [] }),
    "Duplicate mount point",
  );
});

Deno.test("withImageVolumes: image VOLUMEs become anonymous unless a mount covers the target", () => {
  const specs = parseMountFlags({ volume: ["named:/data"], mount: [], tmpfs: [] });
  const out = withImageVolumes(specs, ["/data/", "/var/log", "/var/log"]);
  assert.deepEqual(out.map((s) => [s.type, s.source, s.target]), [
    ["volume", "named", "/data"],
    ["volume", "", "/var/log"],
  ]);
  assert.equal(out[1].noCopy, false);
  rejects(() => withImageVolumes([], ["relative"]), "must be absolute", VolumeError);
  rejects(() => withImageVolumes([], ["/"]), "can't be '/'", VolumeError);
});

Deno.test("splitCsv and ramInBytes: docker's value syntax", () => {
  assert.deepEqual(splitCsv('a,"b,c",d""e,"f""g"'), ["a", "b,c", "de", 'f"g']);
  assert.equal(ramInBytes("64m"), 64 * 1024 * 1024);
  assert.equal(ramInBytes("1.5g"), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes("512kb"), 512 * 1024);
  assert.equal(ramInBytes("100"), 100);
  assert.equal(ramInBytes("12x"), undefined);
});
