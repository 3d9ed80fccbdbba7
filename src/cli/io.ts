import { Chalk, type ChalkInstance } from "chalk";

/** Everything the CLI writes goes through here, so tests can run the program in-process. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: spinners and progress may be drawn. */
  readonly interactive: boolean;
  readonly color: ChalkInstance;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The wall clock; the only place the CLI reads it. */
  readonly now: () => number;
}

/** The process's own streams; colors only on a TTY and never with NO_COLOR. */
export function processIo(): Io {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  const level = !noColor && process.stdout.isTTY ? 1 : 0;
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    interactive: process.stderr.isTTY === true && process.env.CI === undefined,
    color: new Chalk({ level }),
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
}
