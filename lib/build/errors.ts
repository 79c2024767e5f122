/**
 * The error of `tsbox build`: one line naming the Dockerfile line, exit 1
 * as docker build.
 * @module
 */

import { TsboxError, type TsboxErrorOptions } from "../errors.ts";

/** A build failure (`Dockerfile:7: …`); exit status 1. */
export class BuildError extends TsboxError {
  constructor(message: string, opts: TsboxErrorOptions = {}) {
    super(message, { ...opts, exitCode: opts.exitCode ?? 1 });
    this.name = "BuildError";
  }
}
