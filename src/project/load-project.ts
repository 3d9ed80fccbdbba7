import { dirname, resolve } from "node:path";
import { AggError } from "../errors.js";
import { openCacheDirs } from "./cache-dir.js";
import { discoverFeatureFiles, isDirectory } from "./discover.js";
import { loadTimeoutMs } from "./load-guards.js";
import { jitiSource, type LoadedModule, type ProjectSource } from "./load-module.js";
import type { Project } from "./model.js";
import { projectKey, readCachedProject, writeCachedProject } from "./project-cache.js";
import { formatSite, problem, type Problem } from "./problem.js";

export interface LoadResult {
  readonly project: Project;
  readonly problems: readonly Problem[];
}

/**
 * The feature project's folder on disk, or a usage error that says how to point at one.
 * `env` gives the cache folder (AGG_CACHE_DIR, cache-dir.ts) and the load time limit
 * (AGG_LOAD_TIMEOUT_MS); the source's `warnings` say when a cache folder was refused.
 */
export function projectSource(dir: string, env: NodeJS.ProcessEnv = process.env): ProjectSource {
  const root = resolve(dir);
  if (!isDirectory(root)) {
    throw new AggError("usage", `no feature project at ${root}`, { hint: "run agg in the folder that holds ./features, pass --project DIR (or set AGG_PROJECT), or create one with `agg init`" });
  }
  return jitiSource(root, discoverFeatureFiles(root), { cache: openCacheDirs(env), loadTimeoutMs: loadTimeoutMs(env) });
}

/** Loads and validates every file; returns the project together with every problem found. */
export async function loadProject(source: ProjectSource): Promise<LoadResult> {
  const problems: Problem[] = [];
  if (source.files.length === 0) {
    problems.push(problem("empty-project", `no *.ts feature files in ${source.root}`, null, { hint: "add feature files, or create a starter project with `agg init`" }));
  }
  // Validation pulls in cron-parser and friends: only needed when the cache misses.
  const [{ collect }, { validateNamespaces }, { validateStreams, validateOfflineSources }, { validateWindowed }] = await Promise.all([
    import("./collect.js"),
    import("./validate-namespaces.js"),
    import("./validate-sources.js"),
    import("./validate-windowed.js"),
  ]);
  const modules = await source.load();
  problems.push(...modules.flatMap(loaderProblem));
  const collected = collect(modules.filter((m) => loaderProblem(m).length === 0));
  problems.push(...collected.problems);
  const namespaces = validateNamespaces(collected.namespaces, problems, displayBase(source.root));
  const windowed = validateWindowed(collected.namespaces, namespaces, problems);
  const streams = validateStreams(collected.streams, namespaces, problems, displayBase(source.root));
  const offlineSources = validateOfflineSources(collected.offlineSources, namespaces, problems, displayBase(source.root));
  return { project: { root: source.root, namespaces, windowed, streams, offlineSources }, problems };
}

/**
 * For every command but `check`: a project with any problem is an error (exit 2).
 * Without `resolvers`, a cached copy of the project's plain data may be returned (its
 * `streams` map is then empty): only `ingest` runs stream resolvers.
 */
export async function loadValidProject(source: ProjectSource, options: { resolvers?: boolean } = {}): Promise<Project> {
  const key = source.projectCache ? cacheKey(source) : null;
  if (options.resolvers !== true && key !== null) {
    const cached = readCachedProject(source, key);
    if (cached !== null) return cached;
  }
  const { project, problems } = await loadProject(source);
  if (problems.length > 0) throw projectError(problems, displayBase(source.root));
  if (key !== null) writeCachedProject(source, project, key);
  return project;
}

/** The project cache's key, or null when a file cannot be read (the load then says why). */
function cacheKey(source: ProjectSource): string | null {
  try {
    return projectKey(source);
  } catch {
    return null;
  }
}

/** A load failure the loader itself explains (process.exit at load time), with its own hint. */
function loaderProblem(module: LoadedModule): Problem[] {
  if (!("error" in module) || module.error.hint === undefined) return [];
  const site = { file: module.file, line: module.error.line ?? 1, column: module.error.column ?? 1 };
  return [problem("load-failed", module.error.message, site, { hint: module.error.hint })];
}

/** Locations are shown relative to the project's parent folder: `features/user.ts:12`. */
export function displayBase(root: string): string {
  return dirname(root);
}

export function projectError(problems: readonly Problem[], root: string): AggError {
  const lines = problems.map((p) => `  ${formatSite(p.site, root) || root}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ""}`);
  return new AggError("project", `the feature project has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`, {
    hint: "run `agg check` to see them all; fix them and run the command again",
    meta: { problems: problems.map((p) => ({ ...p, where: formatSite(p.site, root) })) },
  });
}
