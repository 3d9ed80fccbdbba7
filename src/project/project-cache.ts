import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProjectSource } from "./load-module.js";
import type { MaterializationModel, NamespaceModel, OfflineSourceModel, Project, WindowedFeature } from "./model.js";

/**
 * A validated project's plain data (everything but the stream resolvers' functions),
 * cached on disk so `list`, `query` and `backfill` skip the TypeScript loader when no
 * feature file changed. The key covers every file's path, size and mtime, and agg's own
 * build, so an edit anywhere, or a new agg, misses the cache.
 */
const FORMAT = 1;

interface CachedProject {
  readonly format: number;
  readonly key: string;
  readonly namespaces: NamespaceModel[];
  readonly windowed: (Omit<WindowedFeature, "materialization"> & { materialization: (Omit<MaterializationModel, "bucketFor"> & { bucketFor: [number, number][] }) | null })[];
  readonly offlineSources: OfflineSourceModel[];
}

function cacheFile(root: string): string {
  return join(tmpdir(), "agg-project-cache", `${createHash("sha256").update(root).digest("hex").slice(0, 24)}.json`);
}

/** What the cache entry must match: agg's build and every feature file's identity. */
export function projectKey(source: ProjectSource): string {
  const hash = createHash("sha256").update(`${FORMAT}\0${statSync(fileURLToPath(import.meta.url)).mtimeMs}\0${source.root}`);
  for (const file of source.files) {
    const stat = statSync(file);
    hash.update(`\0${file}\0${stat.size}\0${stat.mtimeMs}`);
  }
  return hash.digest("hex");
}

/** The cached project without its stream resolvers, or null on a miss. */
export function readCachedProject(source: ProjectSource): Project | null {
  let cached: CachedProject;
  try {
    cached = JSON.parse(readFileSync(cacheFile(source.root), "utf8")) as CachedProject;
    if (cached.format !== FORMAT || cached.key !== projectKey(source)) return null;
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
export function writeCachedProject(source: ProjectSource, project: Project): void {
  const cached: CachedProject = {
    format: FORMAT,
    key: projectKey(source),
    namespaces: [...project.namespaces.values()],
    windowed: project.windowed.map((f) => ({ ...f, materialization: f.materialization && { ...f.materialization, bucketFor: [...f.materialization.bucketFor] } })),
    offlineSources: [...project.offlineSources.values()],
  };
  try {
    const file = cacheFile(source.root);
    mkdirSync(join(file, ".."), { recursive: true });
    // Write then rename: a concurrent reader sees the old entry or the new one, never half.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(cached));
    renameSync(temp, file);
  } catch {
    // The cache is an optimisation only.
  }
}
