/**
 * Merge the image config and the run request into the process to run, with
 * docker's rules: `--entrypoint` replaces the image entrypoint AND clears
 * its Cmd; args after IMAGE replace Cmd; `-e` overrides image Env; PATH
 * defaults to docker's; WorkingDir defaults to `/`. Pure.
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ContainerSpec, ProcessSpec } from "./types.ts";
import { DEFAULT_PATH } from "../init/exec_path.ts";

/** The parts of an OCI image config the process depends on. */
export interface ImageProcessConfig {
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

/** Merge env lists: later entries override earlier ones with the same key, order kept. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...overrides]) {
    const k = e.includes("=") ? e.slice(0, e.indexOf("=")) : e;
    out.set(k, e);
  }
  return [...out.values()];
}

/**
 * Build the process spec (uid/gid are resolved later by the init from the
 * image's /etc/passwd; here they are 0).
 * @throws {UsageError} no command, relative working dir.
 */
export function buildProcess(spec: ContainerSpec, img: ImageProcessConfig): ProcessSpec {
  const entrypoint = spec.entrypoint !== undefined
    ? (spec.entrypoint === "" ? [] : [spec.entrypoint])
    : img.Entrypoint ?? [];
  const cmd = spec.cmd.length ? spec.cmd : spec.entrypoint !== undefined ? [] : img.Cmd ?? [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new UsageError("no command specified", { hint: "give a command after the image name" });
  }
  const cwd = spec.workdir ?? (img.WorkingDir || "/");
  if (!cwd.startsWith("/")) {
    throw new UsageError(
      `the working directory '${cwd}' is invalid, it needs to be an absolute path`,
    );
  }
  let env = mergeEnv(img.Env ?? [], spec.env);
  if (!env.some((e) => e.startsWith("PATH="))) env = [`PATH=${DEFAULT_PATH}`, ...env];
  return {
    args,
    env,
    cwd,
    uid: 0,
    gid: 0,
    groups: [],
    user: spec.user ?? img.User ?? "",
    tty: spec.tty,
  };
}
