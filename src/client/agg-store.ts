import { AggError } from "../errors.js";
import type { ValueExplain } from "../query/explain.js";
import type { Project } from "../project/model.js";
import { prepareQuery, type PreparedQuery } from "../query/prepare-query.js";
import { deriveSeries } from "../series/derive.js";
import { openDatabase, type Db } from "../store/sqlite/open-store.js";
import type { FeatureName, StatusesOf, ValuesOf } from "./feature-types.js";
import { spineRows, type OfflineQuery, type OfflineQueryOptions, type SpineRow } from "./offline-rows.js";
import { optionInstant, type Instant } from "./to-instant.js";

/** What `store.query` takes. */
export interface StoreQuery<F extends string> {
  /** Feature names in any form `agg query --feature` takes; a root means all its windows. */
  readonly features: readonly F[];
  /** Entity ids; duplicates are answered once. */
  readonly ids: readonly string[];
  /** T: a Date, epoch milliseconds, or an ISO-8601 string; default now. */
  readonly at?: Instant;
  /** Also return, per value, the buckets and row-log spans used (as `agg query --explain`). */
  readonly explain?: boolean;
}

/** One entity's values, as one row of `agg query --json`. */
export interface StoreQueryRow<P, F extends string> {
  readonly id: string;
  /** By per-window FQN (`user.txn_sum__86400__`). An overflowed sum is ±Infinity here (JSON prints null). */
  readonly values: ValuesOf<P, F>;
  readonly status: StatusesOf<P, F>;
  readonly explain?: Readonly<Record<string, ValueExplain>>;
}

export interface StoreQueryResult<P, F extends string> {
  readonly at: Date;
  /** Per-window FQNs, in the order the features were named. */
  readonly columns: readonly string[];
  /** One per distinct id, in the order given. */
  readonly rows: readonly StoreQueryRow<P, F>[];
  readonly warnings: readonly string[];
}

/** An open, read-only store with its feature project; see `openStore`. */
export interface AggStore<P = unknown> {
  /** The feature project's folder and the store's path, as resolved. */
  readonly project: string;
  readonly store: string;
  /** Things worth saying that stopped nothing (a refused cache folder). */
  readonly warnings: readonly string[];
  /**
   * Windowed values for entities at T, exactly as `agg query --json --at T` serves them,
   * read in one snapshot of the store.
   * @example const { rows } = await store.query({ features: ["user.txn_sum"], ids: ["u1"], at: new Date("2024-03-01T12:00:00Z") });
   */
  query<const F extends FeatureName<P>>(query: StoreQuery<F>): Promise<StoreQueryResult<P, F>>;
  /**
   * Values at many (id, T) pairs, a training set: rows come back in spine order, each
   * equal to `query` at its own T (`mode: "serving"`), or from the row log over exactly
   * `(T - W, T]` (`mode: "exact"`). The spine is staged on disk: memory stays flat.
   * @example for await (const row of store.offlineQuery({ features: ["user.txn_sum"], spine: [{ id: "u1", at: "2024-03-01T12:00:00Z" }] })) console.log(row.values);
   */
  offlineQuery<const F extends FeatureName<P>, S extends SpineRow>(query: OfflineQueryOptions<F, S>): OfflineQuery<P, F, S>;
  /** Closes the store connection; the store itself is never written. */
  close(): void;
}

export interface ConnectOptions {
  readonly busyTimeoutMs?: number;
  readonly warnings?: readonly string[];
  /** The clock for a query without `at`; default Date.now. */
  readonly now?: () => number;
}

/**
 * An AggStore over an already loaded project: what `openStore` returns, and what the CLI
 * uses (it loads the project itself, to print its warnings and check names first).
 * Opening writes nothing (no WAL switch, no migration), so it is safe beside ingest.
 */
export function connectStore<P = unknown>(project: Project, storePath: string, options: ConnectOptions = {}): AggStore<P> {
  const open = (): Db => openDatabase(storePath, { mustExist: true, noWrites: true, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) });
  const db = open();
  const defs = deriveSeries(project);
  const prepared = new Map<string, PreparedQuery>();
  const now = options.now ?? Date.now;
  let closed = false;
  const alive = () => {
    if (closed) throw new AggError("usage", "the store is closed", { hint: "open it again with openStore()" });
  };
  return {
    project: project.root,
    store: storePath,
    warnings: options.warnings ?? [],
    async query(query) {
      alive();
      const at = query.at === undefined ? now() : optionInstant("at", query.at);
      const key = JSON.stringify(query.features);
      let statement = prepared.get(key);
      if (statement === undefined) {
        if (prepared.size >= 64) prepared.clear();
        prepared.set(key, (statement = prepareQuery(db, project, defs, query.features)));
      }
      const result = statement.run(query.ids, at, { explain: query.explain === true });
      // The result is the prepared query's, typed by the names asked for.
      return { ...result, at: new Date(result.at) } as never;
    },
    offlineQuery(query) {
      alive();
      return spineRows(open, project, defs, query);
    },
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
