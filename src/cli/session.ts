import type { Project } from "../project/model.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import type { SeriesRecord } from "../store/series-registry.js";
import type { ClaimedSize } from "../store/size-state.js";
import { projectDir, storeOptions, storePath, type GlobalOptions } from "./context.js";
import type { Io } from "./io.js";

/** A loaded, valid project with its series registered in an open store. */
export interface Session {
  readonly project: Project;
  readonly defs: readonly SeriesDef[];
  readonly db: Db;
  readonly storePath: string;
  readonly series: ReadonlyMap<string, SeriesRecord>;
  /** Sizes whose store record this session changed (new, or edited features). */
  readonly claimed: readonly ClaimedSize[];
  close(): void;
}

/** Loads the project first: a broken project never opens (or creates) the store. */
export async function openProjectAndStore(io: Io, options: GlobalOptions, open: { claim?: boolean } = {}): Promise<Session> {
  return openStoreFor(io, options, await loadProjectFor(io, options), open);
}

/**
 * The valid project; `resolvers: true` when the command runs stream resolvers (ingest).
 * A refused cache folder (another user's, or writable by others) is a warning on stderr.
 */
export async function loadProjectFor(io: Io, options: GlobalOptions, load: { resolvers?: boolean } = {}): Promise<Project> {
  const { loadValidProject, projectSource } = await import("../project/load-project.js");
  const source = projectSource(projectDir(io, options), io.env);
  for (const warning of source.warnings ?? []) io.err(`${io.color.yellow("warning:")} ${warning}`);
  return loadValidProject(source, load);
}

/**
 * Opens the store for an already loaded project (for commands that check their own
 * arguments against the project first, so a usage error never creates a store).
 * `claim: false` registers series ids only and leaves every size record alone: for
 * commands that fold no rows (`list`, `backfill --plan`), which must not delete the
 * buckets of an edited feature.
 */
export async function openStoreFor(io: Io, options: GlobalOptions, project: Project, { claim = true }: { claim?: boolean } = {}): Promise<Session> {
  const { deriveSeries } = await import("../series/derive.js");
  const { openDatabase } = await import("../store/sqlite/open-store.js");
  const { registerSeries } = await import("../store/series-registry.js");
  const { claimSizes } = await import("../store/size-state.js");
  const { compileSeries, declaredSizes } = await import("../series/compiled-series.js");
  const defs = deriveSeries(project);
  const path = storePath(io, options);
  const db = openDatabase(path, storeOptions(io));
  try {
    const series = registerSeries(db, defs, io.now());
    // Every writer keeps each size as now declared current from here on (store/size-state.ts).
    const claimed = claim ? claimSizes(db, declaredSizes(compileSeries(defs, series))) : [];
    return { project, defs, db, storePath: path, series, claimed, close: () => db.close() };
  } catch (error) {
    db.close();
    // A read-only or locked store fails here, at its first write: name it.
    const { storeError } = await import("../store/store-error.js");
    throw storeError(error, path);
  }
}
