import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { AggError } from "../errors.js";

/**
 * Feature code that calls `process.exit` after the project loaded (in a stream resolver,
 * in a timer) would end agg in the middle of a command with the code it chose, often 0:
 * an ingest that stopped at its first message would look like a success. While a watch
 * is on, such an exit is reported through `report` (which renders it and sets the exit
 * code, the process being about to end) as a project error naming the caller. Exits by
 * agg's own code are left alone. While loading, load-guards.ts traps the call instead.
 */
export function watchUnexpectedExit(report: (error: AggError) => void, cwd: string): () => void {
  const entry = { report, cwd };
  watches.push(entry);
  if (watches.length === 1) process.on("exit", onExit);
  return () => {
    const at = watches.indexOf(entry);
    if (at === -1) return;
    watches.splice(at, 1);
    if (watches.length === 0) process.off("exit", onExit);
  };
}

const watches: { report: (error: AggError) => void; cwd: string }[] = [];

/** agg's own code: dist/, and src/ (the test runner, and source-mapped frames of dist/). */
const PACKAGE = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const AGG_CODE = [join(PACKAGE, "dist") + sep, join(PACKAGE, "src") + sep];

function onExit(code: number): void {
  const watch = watches.at(-1);
  if (watch === undefined) return;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const caller = exitCaller(stack);
  if (caller === null) return;
  const where = caller.startsWith(watch.cwd + sep) ? relative(watch.cwd, caller) : caller;
  watch.report(
    new AggError("project", `${where} called process.exit(${code}) while agg was running; agg stopped there, as if killed`, {
      hint: "a feature file must not end the process: remove the call (a resolver that throws rejects its message, with its line); what agg committed before the call is kept, so run the command again once it is fixed",
      meta: { where, exitCode: code },
    }),
  );
}

/**
 * `file:line` of the code that called process.exit, from a stack taken inside the
 * 'exit' event; null when the process is ending for another reason, or by agg's own call.
 */
export function exitCaller(stack: string): string | null {
  const lines = stack.split("\n");
  const exit = lines.findIndex((line) => line.includes("node:internal/process/per_thread"));
  if (exit === -1) return null;
  const frame = lines.slice(exit + 1).find((line) => /^\s+at /.test(line) && !line.includes("(node:") && !/at node:/.test(line));
  const match = frame === undefined ? null : /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(frame);
  if (match === null) return null;
  const file = match[1]!.startsWith("file://") ? fileURLToPath(match[1]!) : match[1]!;
  if (AGG_CODE.some((dir) => file.startsWith(dir))) return null;
  return `${file}:${match[2]}`;
}
