/** Where in a feature file something was declared: errors point here. */
export interface Site {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/;

/**
 * The first stack frame outside agg's own DSL: the user's `string()` or `windowed(...)`
 * call. The project loader enables source maps, so lines are the .ts file's own.
 */
export function callSite(): Site | null {
  const stack = new Error().stack;
  if (stack === undefined) return null;
  for (const frame of stack.split("\n").slice(1)) {
    const match = FRAME.exec(frame);
    if (match === null) continue;
    const file = match[1]!.replace(/^file:\/\//, "");
    if (isDslFile(file) || file.startsWith("node:") || file.includes("/node_modules/")) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return null;
}

function isDslFile(file: string): boolean {
  return /[\\/](src|dist)[\\/]dsl[\\/]/.test(file) || /[\\/](src|dist)[\\/]index\.[jt]s$/.test(file);
}
