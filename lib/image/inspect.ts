/**
 * `image inspect`: the docker-shaped JSON description of an image.
 * @module
 */

import type { ImageStore } from "./store.ts";
import { readTags, tagsOf } from "./repositories.ts";
import { familiarName, parseReference } from "./reference.ts";
import { noSuchImage } from "./store.ts";
import type { ImageConfig } from "./types.ts";

/**
 * Docker's ImageInspect fields for `ref`.
 * @throws {ImageError} no such image. @throws {UsageError} bad reference.
 */
export function inspectImage(store: ImageStore, ref: string): Record<string, unknown> {
  const record = store.record(ref);
  if (!record) throw noSuchImage(ref);
  const config = store.configOf(record.id);
  const dirs = record.layers.map((l) => store.layout.layer(l.diffId));
  return {
    Id: record.id,
    RepoTags: tagsOf(readTags(store.layout), record.id).map((t) => familiarName(parseReference(t))),
    RepoDigests: record.repoDigests.map((d) => familiarName(parseReference(d))),
    Parent: "",
    Comment: config.comment ?? "",
    Created: config.created ?? "",
    Author: config.author ?? "",
    Config: dockerConfig(config.config ?? {}),
    Architecture: config.architecture ?? "",
    Variant: config.variant,
    Os: config.os ?? "",
    Size: record.layers.reduce((s, l) => s + l.tarSize, 0),
    GraphDriver: {
      Name: "overlay",
      Data: { LowerDir: [...dirs].reverse().join(":") },
    },
    RootFS: { Type: "layers", Layers: record.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: record.added },
  };
}

/**
 * The image config as docker prints it: every field of its container
 * config struct, empty ones included (`""`, `false`, `null`), in docker's order.
 */
export function dockerConfig(c: ImageConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Hostname: "",
    Domainname: "",
    User: c.User ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, {
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
  });
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = c.ArgsEscaped;
  Object.assign(out, {
    Image: typeof c.Image === "string" ? c.Image : "",
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? "",
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
  });
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (Array.isArray(c.Shell) && c.Shell.length) out.Shell = c.Shell;
  return out;
}
