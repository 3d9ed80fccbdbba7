import { EXIT_CODES, isAggError } from "../errors.js";
import { isSqliteError, storeError } from "../store/store-error.js";
import type { Io } from "./io.js";

/** Prints an error for people (or as JSON with --json) and returns its exit code. */
export function renderError(io: Io, error: unknown, options: { json: boolean; verbose: boolean }): number {
  // SQLite errors raised after the store opened (a lock taken by another process, a
  // full disk) get the same words as those raised while opening it.
  if (isSqliteError(error)) error = storeError(error, "the store", "what was committed before the error is kept");
  if (isAggError(error)) {
    const code = EXIT_CODES[error.code];
    if (error.meta.reported === true) return code;
    if (options.json) {
      io.out(JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint ?? null, ...error.meta } }, null, 2));
    } else {
      io.err(`${io.color.red("error:")} ${error.message}${error.hint ? `\n${io.color.dim("hint:")} ${error.hint}` : ""}`);
    }
    if (options.verbose && error.stack) io.err(error.stack);
    return code;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (options.json) io.out(JSON.stringify({ error: { code: "internal", message } }, null, 2));
  else io.err(`${io.color.red("error:")} ${message}\n${io.color.dim("hint:")} this is a bug in agg; run again with --verbose and report the stack trace`);
  if (options.verbose && error instanceof Error && error.stack) io.err(error.stack);
  return 1;
}
