import { createHash } from "node:crypto";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProjectSource } from "./load-module.js";
import type { MaterializationModel, NamespaceModel, OfflineSourceModel, Project, WindowedFeature } from "./model.js";

/**
 * A validated project's plain data (everything but the stream resolvers' functions),
 * cached on disk so `list`, `query` and `backfill` skip the TypeScript loader when no
 * feature file changed. The key covers every file's path and content (a SHA-256 of its
 * bytes: an edit that keeps size and mtime still misses) and agg's own build, so an edit
 * anywhere, or a new agg, misses the cache. The folder is the user's own (cache-dir.ts):
 * an entry is trusted as agg's own output, so nobody else may be able to write one.
 */
const FORMAT = 2;

interface CachedProject {
  readonly format: number;
  readonly key: string;
  readonly namespaces: NamespaceModel[];
  readonly windowed: (Omit<WindowedFeature, "materialization"> & { materialization: (Omit<MaterializationModel, "bucketFor"> & { bucketFor: [number, number][] }) | null })[];
  readonly offlineSources: OfflineSourceModel[];
}

function cacheFile(dir: string, root: string): string {
  return join(dir, `${createHash("sha256").update(root).digest("hex").slice(0, 24)}.json`);
}

/**
 * What the cache entry must match: agg's build and every feature file's path and content.
 * Taken before the project loads, so an edit made while it loads is never cached under
 * the new content's key.
 */
export function projectKey(source: ProjectSource): string {
  const hash = createHash("sha256").update(`${FORMAT}\0${statSync(fileURLToPath(import.meta.url)).mtimeMs}\0${source.root}`);
  for (const file of source.files) {
    hash.update(`\0${file}\0${createHash("sha256").update(readFileSync(file)).digest("hex")}`);
  }
  return hash.digest("hex");
}

/** The cached project without its stream resolvers, or null on a miss (or without a cache folder). */
export function readCachedProject(source: ProjectSource, key: string): Project | null {
  if (!source.projectCache) return null;
  let cached: CachedProject;
  try {
    cached = JSON.parse(readFileSync(cacheFile(source.projectCache, source.root), "utf8")) as CachedProject;
    if (cached.format !== FORMAT || cached.key !== key) return null;
  } catch {
    return null;
  }
  return {
    root: source.root,
    namespaces: new Map(cached.namespaces.map((ns) => [ns.name, ns])),
    windowed: cached.windowed.map((f) => ({ ...f, materialization: f.materialization && { ...f.materialization, bucketFor: new Map(f.materialization.bucketFor) } })),
    streams: new Map(),
    offlineSources: new Map(cached.offlineSources.map((s) => [s.name, s])),
  };
}

/** Caches a valid project; a failure to write only costs the next run its speed. */
export function writeCachedProject(source: ProjectSource, project: Project, key: string): void {
  if (!source.projectCache) return;
  const cached: CachedProject = {
    format: FORMAT,
    key,
    namespaces: [...project.namespaces.values()],
    windowed: project.windowed.map((f) => ({ ...f, materialization: f.materialization && { ...f.materialization, bucketFor: [...f.materialization.bucketFor] } })),
    offlineSources: [...project.offlineSources.values()],
  };
  try {
    const file = cacheFile(source.projectCache, source.root);
    // Write then rename: a concurrent reader sees the old entry or the new one, never half.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(cached), { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // The cache is an optimisation only.
  }
}
