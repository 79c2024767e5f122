/**
 * Host-side preparation, before the container starts: turn `MountSpec`s
 * into `PreparedMount`s the init can mount. Named volumes are created on
 * first use, anonymous ones get a random name, a missing `-v` bind source
 * dir is created. Everything is checked first (under the store lock); if
 * a later step fails, whatever this call created is removed again.
 * @module
 */

import { dirname } from "../lib/posix_path.ts";
import type { Paths } from "../lib/paths.ts";
import { TsboxError, VolumeError } from "../lib/errors.ts";
import {
  ANONYMOUS_LABEL,
  createVolumeLocked,
  deleteVolumeLocked,
  readVolume,
  withVolumesLock,
} from "./store.ts";
import { volumeMountKind } from "./volume_options.ts";
import type { MountSpec, PreparedMount, TargetKind, VolumeInfo } from "./types.ts";

type Undo = { what: string; run: () => void };

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** A bind of a file needs a file at the target; anything else a dir. */
function kindOf(st: Deno.FileInfo | undefined): TargetKind {
  return st && !st.isDirectory ? "file" : "dir";
}

/** Check one spec without changing anything; returns the existing volume, if any. */
function check(paths: Paths, s: MountSpec): VolumeInfo | undefined {
  if (s.type === "bind") {
    if (!s.createSource && !statOrUndefined(s.source)) {
      throw new VolumeError(
        `invalid mount config for type "bind": bind source path does not exist: ${s.source}`,
        {
          hint: `from '${s.origin}'`,
        },
      );
    }
    return undefined;
  }
  if (s.type !== "volume" || s.source === "") return undefined;
  const info = readVolume(paths, s.source);
  const kind = volumeMountKind(info?.meta.Options ?? s.options);
  if (kind?.kind === "bind" && !statOrUndefined(kind.device)) {
    throw new VolumeError(`volume ${s.source}: device ${kind.device} does not exist`, {
      hint: `from '${s.origin}'`,
    });
  }
  return info;
}

/** mkdir -p that records each dir it created (for undo), mode 0755 like docker. */
function mkdirRecorded(path: string, undo: Undo[]): void {
  const missing: string[] = [];
  for (let p = path; !statOrUndefined(p) && p !== "/"; p = dirname(p)) missing.unshift(p);
  for (const dir of missing) {
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, 0o755); // mkdir honours the umask
    undo.push({
      what: `rmdir ${dir}`,
      run: () => {
        try {
          Deno.removeSync(dir); // not recursive: only the empty dir we made
        } catch (err) {
          // something was put into it meanwhile: keep it, data is never deleted
          if ((err as { code?: string }).code !== "ENOTEMPTY") throw err;
        }
      },
    });
  }
}

function prepareVolume(
  paths: Paths,
  s: MountSpec,
  existing: VolumeInfo | undefined,
  undo: Undo[],
): PreparedMount {
  let info = existing;
  let created = false;
  if (!info) {
    const anonymous = s.source === "";
    const r = createVolumeLocked(paths, {
      name: anonymous ? undefined : s.source,
      labels: anonymous ? { ...s.labels, [ANONYMOUS_LABEL]: "" } : s.labels,
      options: s.options,
      anonymous,
    });
    info = r.info;
    created = r.created;
    const name = info.meta.Name;
    if (created) {
      undo.push({
        what: `remove volume ${name}`,
        run: () => deleteVolumeLocked(paths, name),
      });
    }
  }
  const volume = {
    name: info.meta.Name,
    dir: info.dir,
    anonymous: info.meta.Anonymous,
    created,
    copyUp: !s.noCopy,
  };
  const base = {
    type: "volume" as const,
    target: s.target,
    readOnly: s.readOnly,
    propagation: s.propagation,
    ...(s.idmap ? { idmap: true } : {}),
  };
  const kind = volumeMountKind(info.meta.Options);
  if (!kind) return { ...base, source: info.mountpoint, targetKind: "dir", volume };
  // option volumes mount a device, not the store dir: no copy-up into someone else's fs
  const noCopy = { ...volume, copyUp: false };
  if (kind.kind === "bind") {
    return {
      ...base,
      source: kind.device,
      readOnly: s.readOnly || kind.readOnly,
      targetKind: kindOf(statOrUndefined(kind.device)),
      volume: noCopy,
    };
  }
  return {
    ...base,
    source: kind.device,
    targetKind: "dir",
    volume: noCopy,
    fs: { type: kind.type, options: kind.options },
  };
}

function prepareOne(
  paths: Paths,
  s: MountSpec,
  existing: VolumeInfo | undefined,
  undo: Undo[],
): PreparedMount {
  const base = {
    target: s.target,
    readOnly: s.readOnly,
    propagation: s.propagation,
    ...(s.idmap ? { idmap: true } : {}),
  };
  switch (s.type) {
    case "bind":
      if (s.createSource && !statOrUndefined(s.source)) mkdirRecorded(s.source, undo);
      return {
        ...base,
        type: "bind",
        source: s.source,
        targetKind: kindOf(statOrUndefined(s.source)),
      };
    case "tmpfs":
      return {
        ...base,
        type: "tmpfs",
        source: "tmpfs",
        targetKind: "dir",
        tmpfsOptions: [...s.tmpfsOptions],
      };
    case "volume":
      return prepareVolume(paths, s, existing, undo);
  }
}

/**
 * Prepare every mount of container `containerId` on the host. Validates all
 * specs first (bind sources of `--mount` must exist, volumes must be
 * readable), then creates what is missing; on any failure removes what it
 * created and rethrows. Holds the volume store lock throughout.
 * Requires root (writes the state root and host dirs).
 * @returns JSON-serialisable records for container.json and the init, in spec order.
 * @throws {VolumeError} a missing bind source, a broken volume dir, or a failed create.
 */
export function prepareMounts(
  paths: Paths,
  containerId: string,
  specs: MountSpec[],
): PreparedMount[] {
  return withVolumesLock(paths, () => {
    const existing = specs.map((s) => check(paths, s));
    const undo: Undo[] = [];
    try {
      return specs.map((s, i) => prepareOne(paths, s, existing[i], undo));
    } catch (err) {
      const failed: string[] = [];
      for (const u of undo.reverse()) {
        try {
          u.run();
        } catch (undoErr) {
          // report, but keep undoing the rest and keep the original error first
          failed.push(`${u.what}: ${undoErr instanceof Error ? undoErr.message : String(undoErr)}`);
        }
      }
      const msg = err instanceof TsboxError
        ? err.message
        : `preparing mounts of ${containerId}: ${String(err)}`;
      if (failed.length || !(err instanceof TsboxError)) {
        throw new VolumeError(msg, {
          cause: err,
          hint: failed.length ? `undo failed: ${failed.join("; ")}` : undefined,
        });
      }
      throw err;
    }
  });
}
