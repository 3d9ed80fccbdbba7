import type { Db } from "./sqlite/open-store.js";

/** Oldest and newest event time logged for `namespace`, or null when it has no rows. */
export function rowTimeBounds(db: Db, namespace: string): { min: number; max: number } | null {
  // Two statements: SQLite answers a lone min() or max() from the end of rows_by_time, but
  // scans the whole index for both in one.
  const min = db.prepare<[string], { t: number | null }>("SELECT min(ts) AS t FROM rows WHERE namespace = ?").get(namespace)?.t ?? null;
  const max = db.prepare<[string], { t: number | null }>("SELECT max(ts) AS t FROM rows WHERE namespace = ?").get(namespace)?.t ?? null;
  return min === null || max === null ? null : { min, max };
}
