import { createRequire } from "node:module";
import type { Jiti } from "jiti";
import { dirname, join, relative, sep } from "node:path";
import { AggError } from "../errors.js";
import type { CacheDirs } from "./cache-dir.js";
import { LoadTimedOut, settleWithin, trapExit, withinTime, type ExitTrap } from "./load-guards.js";
import { forgetProjectModules } from "./forget-project-modules.js";

/** One feature file's exports, or why it could not be loaded. */
export type LoadedModule =
  | { readonly file: string; readonly exports: Record<string, unknown> }
  | { readonly file: string; readonly error: LoadError };

export interface LoadError {
  readonly message: string;
  readonly line: number | null;
  readonly column: number | null;
  /** What to do, when the loader knows better than "fix the syntax or import". */
  readonly hint?: string;
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
  /** How long each file may take to load (load-guards.ts). */
  readonly loadTimeoutMs: number;
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
      // A second load in one process (agg serve's SIGHUP, openStore again) must see the
      // files as they are now, not the modules Node's require cache kept from the first.
      forgetProjectModules(root);
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
        const trap = trapExit();
        try {
          const exports = (await importGuarded(jiti, file, options.loadTimeoutMs)) as Record<string, unknown>;
          modules.push(trap.calls.length > 0 ? exitCalled(file, trap) : { file, exports });
        } catch (error) {
          if (error instanceof LoadTimedOut) throw loadTimeout(root, file, options.loadTimeoutMs);
          modules.push(trap.calls.length > 0 ? exitCalled(file, trap) : { file, error: describeLoadError(error, file) });
        } finally {
          trap.release();
        }
      }
      return modules;
    },
  };
}

/**
 * Loads one file within the time limit. jiti's synchronous require runs the whole top
 * level inside the guard (its import() runs the body after an await, where no guard
 * reaches); a file that needs the asynchronous loader (top-level await, an ES module that
 * cannot be required) falls back to it, guarded by a timer only.
 */
async function importGuarded(jiti: Jiti, file: string, timeoutMs: number): Promise<unknown> {
  try {
    return withinTime(() => jiti(file), timeoutMs);
  } catch (error) {
    if (!needsAsyncLoader(error)) throw error;
  }
  return settleWithin(withinTime(() => jiti.import(file), timeoutMs), timeoutMs);
}

function needsAsyncLoader(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE" || (error.name === "SyntaxError" && /only valid in async functions/.test(error.message));
}

function exitCalled(file: string, trap: ExitTrap): LoadedModule {
  const call = trap.calls[0]!;
  const { line, column } = describeLoadError(call.error, file);
  return {
    file,
    error: {
      message: `called process.exit(${call.code ?? ""}) while loading: a feature file must not end the process`,
      line,
      column,
      hint: "remove the call; to stop agg with a problem, throw an Error (agg reports it with its file:line)",
    },
  };
}

function loadTimeout(root: string, file: string, timeoutMs: number): AggError {
  // The file's module stays half-run in the require cache: forget the project's modules so
  // a later load in this process (tests) starts afresh.
  const cache = createRequire(import.meta.url).cache;
  for (const path of Object.keys(cache)) if (path.startsWith(root + sep)) delete cache[path];
  const shown = relative(dirname(root), file);
  return new AggError("project", `${shown} did not finish loading within ${timeoutMs / 1000} s; agg stopped waiting for it`, {
    hint: `look for an endless loop or a wait at the top level of ${shown} or of a file it imports; if it is only slow, raise AGG_LOAD_TIMEOUT_MS (now ${timeoutMs})`,
    meta: { file: shown, timeoutMs },
  });
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
