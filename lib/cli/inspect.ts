/** `tsbox inspect` — not written yet (placeholder owned by the subsystem that implements it). @module */
import type { Command } from "./context.ts";
import { TsboxError } from "../errors.ts";

/** Placeholder: fails clearly until implemented. */
export const main: Command = () =>
  Promise.reject(new TsboxError("'inspect' is not implemented yet"));
