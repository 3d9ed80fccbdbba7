import type { CompiledSeries } from "../series/compiled-series.js";
import type { Db } from "../store/open-store.js";
import { storedLayouts } from "../store/series-registry.js";

/** A (series, bucket size) whose stored buckets were filled with another layout. */
export interface StaleSize {
  readonly seriesId: number;
  readonly bucketMs: number;
  /** Root FQNs of the features served at this size. */
  readonly features: readonly string[];
}

/**
 * The (series, size) pairs whose buckets must not be served: they were filled while the
 * features had other windows or aggregations (their recorded layout signature differs from
 * the current one). `agg backfill` of those features rebuilds them; until then a reader
 * should treat them as empty. Sizes never filled are not listed (they hold no buckets).
 */
export function staleSizes(db: Db, compiled: readonly CompiledSeries[]): StaleSize[] {
  const layouts = storedLayouts(db);
  const out: StaleSize[] = [];
  for (const series of compiled) {
    for (const size of series.sizes) {
      const stored = layouts.get(`${series.id}:${size.bucketMs}`);
      if (stored === undefined || stored === size.signature) continue;
      const features = series.def.rules.filter((r) => r.bucketMs === size.bucketMs).flatMap((r) => r.dependents);
      out.push({ seriesId: series.id, bucketMs: size.bucketMs, features: [...new Set(features)] });
    }
  }
  return out;
}
