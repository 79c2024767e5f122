/**
 * `--mount type=bind|volume|tmpfs,source=…,target=…,…`: CSV fields of
 * `key=value` as in docker's cli/opts/mount.go (keys case-insensitive,
 * type defaults to volume), then the per-type rules of moby's mount
 * validation. Pure: a bind source that does not exist is reported by
 * prepareMounts, which may look at the host.
 * @module
 */

import { UsageError } from "../lib/errors.ts";
import { invalidVolumeNameMessage, isValidVolumeName } from "./names.ts";
import { parseBool, parseOctalMode, ramInBytes } from "./mount_options.ts";
import { baseSpec, cleanPath, splitKeyValue, targetProblem } from "./spec_common.ts";
import { validateVolumeOptions } from "./volume_options.ts";
import { type MountSpec, type MountType, type Propagation, PROPAGATIONS } from "./types.ts";

/** Split one CSV record (double quotes group, `""` is a literal quote). */
export function splitCsv(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) return undefined;
  out.push(cur);
  return out;
}

/**
 * Parse one `--mount` value.
 * @throws {UsageError} bad CSV, unknown key, bad value, missing target,
 *   options of another type mixed in, invalid name/path.
 */
export function parseMountFlag(raw: string): MountSpec {
  const bad = (why: string) => new UsageError(`invalid argument '${raw}' for --mount: ${why}`);
  const fields = splitCsv(raw);
  if (!fields) throw bad("unterminated quote");
  let type: MountType = "volume";
  let source = "", target = "";
  let readOnly = false, noCopy = false;
  let propagation: Propagation | undefined;
  const labels: Record<string, string> = {};
  const options: Record<string, string> = {};
  let tmpfsSize: number | undefined, tmpfsMode: number | undefined;
  let idmap = false;
  const used = { bind: false, volume: false, tmpfs: false };

  for (const field of fields) {
    if (field === "") throw bad("empty field");
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    const boolVal = () => {
      if (val === undefined) return true;
      const b = parseBool(val);
      if (b === undefined) throw bad(`invalid value for ${key}: ${val}`);
      return b;
    };
    switch (key) {
      case "readonly":
      case "ro":
        readOnly = boolVal();
        continue;
      case "idmap":
        idmap = boolVal();
        continue;
      case "volume-nocopy":
        noCopy = boolVal();
        used.volume = true;
        continue;
    }
    if (val === undefined) throw bad(`invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case "type":
        if (!["bind", "volume", "tmpfs"].includes(val.toLowerCase())) {
          throw bad(`mount type "${val}" is not supported (bind, volume or tmpfs)`);
        }
        type = val.toLowerCase() as MountType;
        break;
      case "source":
      case "src":
        source = val;
        break;
      case "target":
      case "dst":
      case "destination":
        target = val;
        break;
      case "consistency":
        // docker-for-mac hint; a no-op on Linux in docker too
        if (!["default", "consistent", "cached", "delegated"].includes(val)) {
          throw bad(`invalid consistency: ${val}`);
        }
        break;
      case "bind-propagation":
        if (!PROPAGATIONS.includes(val.toLowerCase() as Propagation)) {
          throw bad(`invalid bind-propagation: ${val} (valid: ${PROPAGATIONS.join(", ")})`);
        }
        propagation = val.toLowerCase() as Propagation;
        used.bind = true;
        break;
      case "volume-label": {
        const [k, v] = splitKeyValue(val);
        if (k === "") throw bad(`invalid volume-label: ${val}`);
        labels[k] = v;
        used.volume = true;
        break;
      }
      case "volume-driver":
        if (val !== "local") throw bad(`volume driver "${val}" is not supported (only local)`);
        used.volume = true;
        break;
      case "volume-opt": {
        const [k, v] = splitKeyValue(val);
        options[k] = v;
        used.volume = true;
        break;
      }
      case "tmpfs-size":
        tmpfsSize = ramInBytes(val);
        if (tmpfsSize === undefined) throw bad(`invalid value for tmpfs-size: ${val}`);
        used.tmpfs = true;
        break;
      case "tmpfs-mode":
        tmpfsMode = parseOctalMode(val);
        if (tmpfsMode === undefined) {
          throw bad(`invalid value for tmpfs-mode: ${val} (octal, e.g. 1777)`);
        }
        used.tmpfs = true;
        break;
      default:
        throw bad(`unexpected key '${key}' in '${field}'`);
    }
  }

  if (target === "") throw bad("target is required");
  const tp = targetProblem(target);
  if (tp) throw bad(tp);
  for (const t of ["bind", "volume", "tmpfs"] as const) {
    if (used[t] && type !== t) throw bad(`cannot mix '${t}-*' options with mount type '${type}'`);
  }

  const spec = baseSpec(type, `--mount ${raw}`);
  spec.target = cleanPath(target);
  spec.readOnly = readOnly;
  if (idmap) {
    if (type === "tmpfs") throw bad("idmap is only valid for bind mounts and volumes");
    spec.idmap = true;
  }
  if (type === "bind") {
    if (source === "") throw bad("field Source must not be empty for a bind mount");
    if (!source.startsWith("/")) {
      throw bad(`invalid bind source '${source}': must be an absolute path`);
    }
    spec.source = cleanPath(source);
    if (propagation) spec.propagation = propagation;
  } else if (type === "volume") {
    if (source !== "" && !isValidVolumeName(source)) throw bad(invalidVolumeNameMessage(source));
    const op = validateVolumeOptions(options);
    if (op) throw bad(op);
    spec.source = source;
    spec.noCopy = noCopy;
    spec.labels = labels;
    spec.options = options;
  } else {
    if (source !== "") throw bad("field Source must not be specified for tmpfs");
    spec.tmpfsOptions = ["nosuid", "nodev"];
    if (readOnly) spec.tmpfsOptions.push("ro");
    if (tmpfsSize !== undefined) spec.tmpfsOptions.push(`size=${tmpfsSize}`);
    if (tmpfsMode !== undefined) spec.tmpfsOptions.push(`mode=${tmpfsMode.toString(8)}`);
  }
  return spec;
}
