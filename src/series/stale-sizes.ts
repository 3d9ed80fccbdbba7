import { retentionCutoff } from "./compiled-series.js";
import type { SeriesDef } from "./derive.js";
import { layoutSignature } from "./layout-signature.js";
import type { Db } from "../store/sqlite/open-store.js";
import { readSeries } from "../store/series-registry.js";
import { hasRowsIn, parseLayout, readSizeRecords, sameShape, type FillReason } from "../store/size-state.js";
import { gridOf } from "../time/bucket-grid.js";

/** Why a (series, size) is missing logged rows until a backfill. */
export type StaleReason = FillReason;

/** A (series, bucket size) whose buckets do not hold every logged row they should. */
export interface StaleSize {
  /** null: the store has no id for the series yet (no writing command ran since it was declared). */
  readonly seriesId: number | null;
  readonly bucketMs: number;
  /** Root FQNs of the features served at this size. */
  readonly features: readonly string[];
  readonly reason: StaleReason;
  /** Rows logged before this instant are not in the buckets; null: none of them are. */
  readonly filledFrom: number | null;
}

/**
 * The sizes of `defs` that need a backfill, read-only, whether or not a writing command
 * has registered them: the buckets miss rows of the row log that the windows reach (a
 * feature declared after rows were logged, a feature edited since its buckets were
 * filled, a retention that grew). Queries serve those values from the row log until
 * `agg backfill` fills the buckets.
 */
export function staleSizes(db: Db, defs: readonly SeriesDef[]): StaleSize[] {
  const records = readSeries(db, defs);
  const sizes = readSizeRecords(db);
  const oldest = db.prepare<[string], { t: number | null }>("SELECT min(ts) AS t FROM rows WHERE namespace = ?");
  const out: StaleSize[] = [];
  for (const def of defs) {
    const series = records.get(def.identity);
    const first = oldest.get(def.namespace)?.t ?? null;
    if (first === null) continue; // nothing logged: nothing to miss
    for (const size of def.sizes) {
      const features = [...new Set(def.rules.filter((r) => r.bucketMs === size.bucketMs).flatMap((r) => r.dependents))];
      const base = { seriesId: series?.id ?? null, bucketMs: size.bucketMs, features };
      const record = series === undefined ? undefined : sizes.get(`${series.id}:${size.bucketMs}`);
      if (record === undefined) {
        out.push({ ...base, reason: "new", filledFrom: null });
        continue;
      }
      const expected = layoutSignature(def, size);
      if (record.layout !== expected) {
        const was = parseLayout(record.layout);
        const now = parseLayout(expected)!;
        out.push({ ...base, reason: was !== null && sameShape(was, now) ? "retention" : "changed", filledFrom: null });
        continue;
      }
      // Rows logged at or after M that no bucket holds (store/unfolded-rows.ts).
      if (series!.unfoldedFrom !== null) {
        out.push({ ...base, reason: "unfolded", filledFrom: record.filledFrom });
        continue;
      }
      if (record.filledFrom === null) continue;
      // Rows older than what retention keeps need no bucket.
      const clock = series!.maxEventTime;
      const kept = clock === null ? -Infinity : gridOf(def, size.bucketMs).alignDown(retentionCutoff(clock, size));
      if (hasRowsIn(db, def.namespace, Math.max(kept, first), record.filledFrom)) out.push({ ...base, reason: record.reason ?? "new", filledFrom: record.filledFrom });
    }
  }
  return out;
}

/** One sentence on why a size needs a backfill. */
export function staleReasonText(stale: Pick<StaleSize, "reason">): string {
  switch (stale.reason) {
    case "new":
      return "it is new: rows were logged before it existed, and its buckets do not hold them";
    case "changed":
      return "its buckets were filled for another definition of its feature (other aggregations, windows or anchor)";
    case "retention":
      return "its retention grew: buckets the shorter retention had dropped are missing";
    case "unfolded":
      return "rows were logged without being folded into its buckets (a resolver with updatesMaterializedAggregations: false, or an ingest running another definition of its feature)";
  }
}
