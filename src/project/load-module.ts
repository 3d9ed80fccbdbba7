import { createRequire } from "node:module";
import { join } from "node:path";
import type { CacheDirs } from "./cache-dir.js";

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
  /** The folder the validated project may be cached in; absent or null: no project cache. */
  readonly projectCache?: string | null;
  /** Why a cache folder was not used, for the CLI to print as warnings. */
  readonly warnings?: readonly string[];
  load(): Promise<LoadedModule[]>;
}

export interface JitiSourceOptions {
  /** Checked cache folders (cache-dir.ts); a null one is not used. */
  readonly cache: CacheDirs;
}

/**
 * Modules handed to feature files as they are, already loaded natively in this process:
 * `"agg"` is the running tool's own DSL, and `zod` comes from agg's dependencies when the
 * project does not install its own. Passing module objects (not paths) spares the loader
 * from transpiling them again, which is most of a warm load's time.
 */
async function virtualModules(root: string): Promise<Record<string, unknown>> {
  const modules: Record<string, unknown> = { agg: await import("../index.js") };
  const fromProject = createRequire(join(root, "noop.js"));
  try {
    fromProject.resolve("zod");
  } catch {
    modules.zod = await import("zod");
  }
  return modules;
}

/** The only place agg calls the TypeScript loader. */
export function jitiSource(root: string, files: readonly string[], options: JitiSourceOptions): ProjectSource {
  return {
    root,
    files,
    projectCache: options.cache.projects,
    warnings: options.cache.warnings,
    async load() {
      // Stack traces of DSL calls then carry the .ts file's own lines.
      process.setSourceMapsEnabled(true);
      // Imported here: a run served from the project cache never loads the TS loader.
      const { createJiti } = await import("jiti");
      const jiti = createJiti(join(root, "noop.js"), {
        virtualModules: await virtualModules(root),
        // Compiled files are code agg runs: only from a folder no one else can write.
        fsCache: options.cache.jiti ?? false,
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
