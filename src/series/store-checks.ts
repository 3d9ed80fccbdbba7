import { existsSync } from "node:fs";
import type { Project } from "../project/model.js";
import { deriveSeries } from "./derive.js";
import { staleSizes, type StaleSize } from "./stale-sizes.js";
import { checkStore, type StoreReport } from "../store/sqlite/check-store.js";
import { openDatabase } from "../store/sqlite/open-store.js";
import { readSeries } from "../store/series-registry.js";

/**
 * What `agg check` reads of a store without writing to it: the sizes whose buckets miss
 * history (they need a backfill), and with `--store` a full verification.
 */

/** Stale sizes; none without a store (check never creates one); `unreadable` when it could not be opened. */
export type StaleProbe = { readonly stale: readonly StaleSize[] } | { readonly unreadable: unknown };

export function probeStaleSizes(path: string, project: Project, busyTimeoutMs: number): StaleProbe {
  if (!existsSync(path)) return { stale: [] };
  let db;
  try {
    db = openDatabase(path, { busyTimeoutMs, mustExist: true, noWrites: true });
  } catch (error) {
    return { unreadable: error };
  }
  try {
    return { stale: staleSizes(db, deriveSeries(project)) };
  } finally {
    db.close();
  }
}

/** The store's report (and the features of each damaged series id), or why it could not be opened. */
export type Verified = { readonly path: string; readonly report: StoreReport; readonly features: ReadonlyMap<number, readonly string[]> } | { readonly path: string; readonly error: unknown };

export function verifyStore(path: string, project: Project | null, busyTimeoutMs: number): Verified {
  try {
    const db = openDatabase(path, { busyTimeoutMs, mustExist: true, noWrites: true });
    try {
      const report = checkStore(db);
      const features = new Map<number, string[]>();
      if (project !== null && report.damagedCount > 0) {
        const defs = deriveSeries(project);
        const records = readSeries(db, defs);
        for (const def of defs) {
          const id = records.get(def.identity)?.id;
          if (id !== undefined) features.set(id, [...new Set(def.rules.flatMap((r) => r.dependents))]);
        }
      }
      return { path, report, features };
    } finally {
      db.close();
    }
  } catch (error) {
    return { path, error };
  }
}
