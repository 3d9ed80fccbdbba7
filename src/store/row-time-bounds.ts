import type { Db } from "./open-store.js";

/** Oldest and newest event time logged for `namespace`, or null when it has no rows. */
export function rowTimeBounds(db: Db, namespace: string): { min: number; max: number } | null {
  const row = db.prepare<[string], { min: number | null; max: number | null }>("SELECT min(ts) AS min, max(ts) AS max FROM rows WHERE namespace = ?").get(namespace);
  return row === undefined || row.min === null || row.max === null ? null : { min: row.min, max: row.max };
}
