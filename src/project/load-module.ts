import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";

/** One feature file's exports, or why it could not be loaded. */
export type LoadedModule =
  | { readonly file: string; readonly exports: Record<string, unknown> }
  | { readonly file: string; readonly error: LoadError };

export interface LoadError {
  readonly message: string;
  readonly line: number | null;
  readonly column: number | null;
}

/** Where a project's modules come from: jiti on disk, or in-memory modules in tests. */
export interface ProjectSource {
  readonly root: string;
  readonly files: readonly string[];
  load(): Promise<LoadedModule[]>;
}

/** The tool's own DSL module, which feature files import as "agg". */
function dslEntry(): string {
  const built = fileURLToPath(new URL("../index.js", import.meta.url));
  return existsSync(built) ? built : fileURLToPath(new URL("../index.ts", import.meta.url));
}

/** Bare imports the project cannot resolve itself come from agg's own dependencies. */
function fallbackAliases(root: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  const fromProject = createRequire(join(root, "noop.js"));
  const fromTool = createRequire(import.meta.url);
  for (const pkg of ["zod"]) {
    try {
      fromProject.resolve(pkg);
    } catch {
      aliases[pkg] = fromTool.resolve(pkg);
    }
  }
  return aliases;
}

/** The only place agg calls the TypeScript loader. */
export function jitiSource(root: string, files: readonly string[]): ProjectSource {
  return {
    root,
    files,
    async load() {
      // Stack traces of DSL calls then carry the .ts file's own lines.
      process.setSourceMapsEnabled(true);
      const jiti = createJiti(join(root, "noop.js"), {
        alias: { agg: dslEntry(), ...fallbackAliases(root) },
        fsCache: join(tmpdir(), "agg-jiti-cache"),
        sourceMaps: true,
        interopDefault: false,
      });
      const modules: LoadedModule[] = [];
      for (const file of files) {
        try {
          const exports = (await jiti.import(file)) as Record<string, unknown>;
          modules.push({ file, exports });
        } catch (error) {
          modules.push({ file, error: describeLoadError(error, file) });
        }
      }
      return modules;
    },
  };
}

/** A readable message and the line in `file`, from a syntax or import error. */
export function describeLoadError(error: unknown, file: string): LoadError {
  const err = error instanceof Error ? error : new Error(String(error));
  const text = `${err.message}\n${err.stack ?? ""}`;
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const at = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(text) ?? /\((\d+):(\d+)\)/.exec(err.message);
  const firstLine = err.message.split("\n")[0] ?? "";
  const message = firstLine.replace(/^\[.*?\]\s*/, "").replace(/\s*\(\d+:\d+\)\s*$/, "").replace(`${file}: `, "");
  return { message, line: at ? Number(at[1]) : null, column: at ? Number(at[2]) : null };
}
