import { format } from "node:util";

/**
 * Feature files run inside agg's commands, and stdout may carry `--json`: what they print
 * with console.log, console.info or console.debug goes to `write` (the CLI's stderr)
 * instead, until the returned function is called. Nested redirections write to the latest.
 */
export function redirectConsole(write: (text: string) => void): () => void {
  const entry = { write };
  writers.push(entry);
  if (writers.length === 1) {
    saved = { log: console.log, info: console.info, debug: console.debug };
    const toWriter = (...args: unknown[]): void => writers.at(-1)?.write(format(...args));
    console.log = toWriter;
    console.info = toWriter;
    console.debug = toWriter;
  }
  return () => {
    const at = writers.indexOf(entry);
    if (at === -1) return;
    writers.splice(at, 1);
    if (writers.length === 0 && saved !== null) {
      Object.assign(console, saved);
      saved = null;
    }
  };
}

const writers: { write: (text: string) => void }[] = [];
let saved: Pick<Console, "log" | "info" | "debug"> | null = null;
