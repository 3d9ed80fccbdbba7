import type { CompiledSize } from "../series/compiled-series.js";
import type { Target } from "./affected-series.js";
import type { OpenBucket, SizeCache } from "./bucket-cache.js";

/** One (series, size) as the applier tracks it. */
export interface SizeSlot {
  readonly size: CompiledSize;
  readonly cache: SizeCache;
  /** The retention cutoff last applied to the store since the cache was reset. */
  applied: number | null;
  /** Buckets of this batch whose stored state is still to be read. */
  toLoad: OpenBucket[];
  /** Buckets this batch changed. */
  touched: OpenBucket[];
}

export interface SeriesSlot {
  readonly target: Target;
  readonly sizes: readonly SizeSlot[];
  /** The sizes updated now: stored with this definition's layout, or not stored yet. */
  active: SizeSlot[];
  /** Retention's clock, the latest event time the series has seen, as stored. */
  clock: number | null;
  /** The clock as this batch moves it. */
  latest: number | null;
}

/** Stored buckets listed between batches, over all sizes (about two days of the benchmark's). */
export const CACHE_LIMIT = 50_000;

/**
 * Keeps the between-batch caches of all sizes within `limit` listed buckets together:
 * evicts the buckets that ended longest ago first, whatever their size.
 */
export function evictOldest(slots: readonly SeriesSlot[], limit: number): void {
  let total = 0;
  for (const s of slots) for (const slot of s.sizes) total += slot.cache.count;
  while (total > limit) {
    let oldest: SizeSlot | null = null;
    let oldestEnd = Infinity;
    for (const s of slots) {
      for (const slot of s.sizes) {
        const end = slot.cache.oldestStart() + slot.size.bucketMs;
        if (end < oldestEnd) [oldest, oldestEnd] = [slot, end];
      }
    }
    if (oldest === null) return;
    total -= oldest.cache.evictOldest();
  }
}
