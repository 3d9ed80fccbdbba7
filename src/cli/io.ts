/** The styles agg prints with: a chalk instance when colors are on, plain text otherwise. */
export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const plain = (text: string): string => text;
const PLAIN: Colors = Object.freeze({ bold: plain, dim: plain, green: plain, red: plain, yellow: plain });

/** Everything the CLI writes goes through here, so tests can run the program in-process. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: spinners and progress may be drawn. */
  readonly interactive: boolean;
  readonly color: Colors;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The wall clock; the only place the CLI reads it. */
  readonly now: () => number;
}

/**
 * The process's own streams; colors only on a TTY and never with NO_COLOR. chalk is
 * imported only then: scripts and pipes (`--json`) do not pay for loading it.
 */
export async function processIo(): Promise<Io> {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  const level = !noColor && process.stdout.isTTY ? 1 : 0;
  const color = level === 0 ? PLAIN : new (await import("chalk")).Chalk({ level });
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    interactive: process.stderr.isTTY === true && process.env.CI === undefined,
    color,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
}
