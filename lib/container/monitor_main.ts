/** Placeholder. @module */
import type { Command } from "../cli/context.ts";
import { TsboxError } from "../errors.ts";

/** Placeholder: fails clearly until implemented. */
export const main: Command = () => Promise.reject(new TsboxError("not implemented yet"));
