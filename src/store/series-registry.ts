import type { Db } from "./sqlite/open-store.js";

/** What the store records of a series definition (series/derive.ts's SeriesDef has it); the store needs nothing more of the series stage. */
export interface SeriesIdentity {
  readonly identity: string;
  readonly namespace: string;
  readonly groupKeys: readonly string[];
  readonly feature: string | null;
  readonly filterText: string;
}

/** What the store knows about a series beyond its definition. */
export interface SeriesRecord {
  readonly id: number;
  readonly identity: string;
  readonly maxEventTime: number | null;
  readonly materializedThrough: number | null;
  /** The first row logged at or after M that no bucket holds (store/unfolded-rows.ts); null: none. */
  readonly unfoldedFrom: number | null;
}

interface SeriesRow {
  id: number;
  identity: string;
  max_event_time: number | null;
  materialized_through: number | null;
  unfolded_from: number | null;
}

/**
 * Gives every series a stable small id. Known identities keep theirs; new ones get the
 * next id in derivation order. Ids are never reused, so removing a feature renumbers nothing.
 */
export function registerSeries(db: Db, defs: readonly SeriesIdentity[], now: number): Map<string, SeriesRecord> {
  // Look first, insert only what is missing: an INSERT that conflicts still uses up an
  // AUTOINCREMENT id, and commands that add nothing must not burn ids.
  const idOf = db.prepare<[string], { id: number }>("SELECT id FROM series WHERE identity = ?");
  const insert = db.prepare("INSERT INTO series (identity, namespace, group_keys, feature, filter, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO NOTHING");
  const missing = defs.filter((def) => idOf.get(def.identity) === undefined);
  if (missing.length > 0) {
    db.transaction(() => {
      for (const def of missing) if (idOf.get(def.identity) === undefined) insert.run(def.identity, def.namespace, JSON.stringify(def.groupKeys), def.feature, def.filterText, now);
    }).immediate();
  }
  return readSeries(db, defs);
}

/** The records of `defs` that the store knows (read-only). */
export function readSeries(db: Db, defs: readonly Pick<SeriesIdentity, "identity">[]): Map<string, SeriesRecord> {
  const select = db.prepare<[string], SeriesRow>("SELECT id, identity, max_event_time, materialized_through, unfolded_from FROM series WHERE identity = ?");
  const out = new Map<string, SeriesRecord>();
  for (const def of defs) {
    const row = select.get(def.identity);
    if (row !== undefined) out.set(def.identity, { id: row.id, identity: row.identity, maxEventTime: row.max_event_time, materializedThrough: row.materialized_through, unfoldedFrom: row.unfolded_from });
  }
  return out;
}

/** Stored bucket records per (series id, bucket size). */
export function countBuckets(db: Db): Map<string, number> {
  const rows = db.prepare<[], { series_id: number; bucket_ms: number; n: number }>("SELECT series_id, bucket_ms, count(*) AS n FROM buckets GROUP BY series_id, bucket_ms").all();
  return new Map(rows.map((r) => [`${r.series_id}:${r.bucket_ms}`, r.n]));
}

/** The layout each (series, bucket size) was last filled with. */
export function storedLayouts(db: Db): Map<string, string> {
  const rows = db.prepare<[], { series_id: number; bucket_ms: number; layout: string }>("SELECT series_id, bucket_ms, layout FROM series_sizes").all();
  return new Map(rows.map((r) => [`${r.series_id}:${r.bucket_ms}`, r.layout]));
}

/** Advances a series' retention clock (never moves it back). */
export function advanceMaxEventTime(db: Db, seriesId: number, eventTime: number): void {
  db.prepare("UPDATE series SET max_event_time = max(coalesce(max_event_time, ?), ?) WHERE id = ?").run(eventTime, eventTime, seriesId);
}

/** Records the layout a (series, bucket size)'s buckets were filled with. */
export function recordLayout(db: Db, seriesId: number, bucketMs: number, layout: string): void {
  db.prepare("INSERT INTO series_sizes (series_id, bucket_ms, layout) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET layout = excluded.layout").run(seriesId, bucketMs, layout);
}

/** A series' retention clock (the latest event time it has seen), or null before any row. */
export function seriesMaxEventTime(db: Db, seriesId: number): number | null {
  return db.prepare<[number], { t: number | null }>("SELECT max_event_time AS t FROM series WHERE id = ?").get(seriesId)?.t ?? null;
}
