import { isAggError } from "../errors.js";
import type { Project } from "../project/model.js";
import { prepareQuery, type PreparedQuery, type QueryResult } from "../query/prepare-query.js";
import { selectWindows, type SelectedWindow } from "../query/select-windows.js";
import { deriveSeries, type SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import { sqliteTransactions } from "../store/sqlite/sqlite-transactions.js";
import { entityKeyNames } from "./entity-inputs.js";
import { HttpError } from "./http-error.js";

/** One read: per-window FQNs of one namespace, for some ids at one T. */
export interface Lookup {
  readonly columns: readonly string[];
  readonly ids: readonly string[];
  readonly at: number;
  readonly explain?: boolean;
}

/**
 * The project a server answers from, bound to its store connection. A reload builds a new
 * one and swaps it in whole, so a request sees one project from start to end.
 */
export interface ServedProject {
  readonly project: Project;
  readonly defs: readonly SeriesDef[];
  /** Input key names (`user.id`, `user_id`) -> namespace. */
  readonly entityKeys: ReadonlyMap<string, string>;
  readonly loadedAt: number;
  /** The windows `names` mean, in order, each once (a root: all its windows); a 400 for a bad name. */
  select(names: readonly string[]): SelectedWindow[];
  /** Every lookup read in one snapshot of the store: one committed state per response. */
  run(lookups: readonly Lookup[]): QueryResult[];
}

const MAX_PREPARED = 256;

/**
 * The values are `agg query`'s: the same prepared query (src/query/prepare-query.ts) that
 * the CLI and the typed API run, which re-reads the store's records whenever another
 * process has committed. Several lookups (namespaces, per-row times) share one read
 * transaction, so ingest committing meanwhile is seen by all of them or by none.
 */
export function servedProject(db: Db, project: Project, loadedAt: number): ServedProject {
  const defs = deriveSeries(project);
  const prepared = new Map<string, PreparedQuery>();
  const statement = (columns: readonly string[]): PreparedQuery => {
    const key = columns.join("\n");
    let query = prepared.get(key);
    if (query === undefined) {
      // A client naming ever new combinations cannot grow this without bound.
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      prepared.set(key, (query = prepareQuery(db, project, defs, columns)));
    }
    return query;
  };
  const one = (lookup: Lookup): QueryResult => statement(lookup.columns).run(lookup.ids, lookup.at, { explain: lookup.explain === true });
  const inOneSnapshot = sqliteTransactions(db).reader((lookups: readonly Lookup[]) => lookups.map(one));
  return {
    project,
    defs,
    entityKeys: entityKeyNames(project),
    loadedAt,
    select(names) {
      try {
        return selectWindows(names, project);
      } catch (error) {
        if (isAggError(error) && error.code === "usage") throw new HttpError(400, "unknown_feature", error.message.replace(/^--feature /, ""), error.hint ?? null);
        throw error;
      }
    },
    run(lookups) {
      // One lookup is one read transaction already (prepareQuery's); more nest inside one.
      return lookups.length === 1 ? [one(lookups[0]!)] : inOneSnapshot(lookups);
    },
  };
}
