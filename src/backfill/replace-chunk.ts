import type { BucketState } from "../aggregate/types.js";
import { retentionCutoff } from "../series/compiled-series.js";
import { aggregatedValue, groupKeyOf, matchesFilter } from "../series/row-match.js";
import type { BucketTable } from "../store/bucket-table.js";
import type { Db } from "../store/open-store.js";
import { parseRow } from "../store/row-log.js";
import { advanceMaxEventTime, seriesMaxEventTime } from "../store/series-registry.js";
import { bucketStart } from "../time/buckets.js";
import type { PlanItem } from "./plan-backfill.js";

interface Folded {
  readonly keys: string[];
  readonly start: number;
  readonly state: BucketState;
}

/**
 * Recomputes one bucket-aligned chunk `[from, to)` of a (series, size) from its source and
 * replaces the stored buckets of that chunk. Must run inside a write transaction: the read,
 * the delete and the writes then form one atomic step. Returns the buckets written.
 *
 * Retention is that of ingest: the clock is the latest event time the series has seen
 * (advanced by every row read here), and buckets ending at or before its cutoff are
 * neither written nor kept. Chunks run newest first, so the clock is final for this run
 * by the time older chunks are folded.
 */
export function replaceChunk(db: Db, table: BucketTable, item: PlanItem, from: number, to: number, onRow: () => void): number {
  const { series, size } = item;
  const { def, id } = series;
  let clock = seriesMaxEventTime(db, id);
  if (clock !== null && to <= retentionCutoff(clock, size)) {
    // Wholly past retention: nothing here may hold buckets, so skip reading it.
    table.deleteRange(id, size.bucketMs, from, to);
    return 0;
  }
  const folded = new Map<string, Folded>();
  let newest: number | null = null;
  for (const logged of item.source.range(from, to)) {
    onRow();
    // As in ingest, every row of the namespace moves the clock, kept or not.
    if (newest === null || logged.ts > newest) newest = logged.ts;
    const row = parseRow(logged.data);
    if (!matchesFilter(def.filter, row)) continue;
    const keys = groupKeyOf(def, row);
    if (keys === null) continue;
    const start = bucketStart(logged.ts, size.bucketMs, def.anchor);
    const key = `${start}\u0000${keys.join("\u0000")}`;
    let bucket = folded.get(key);
    if (bucket === undefined) {
      bucket = { keys, start, state: size.layout.empty() };
      folded.set(key, bucket);
    }
    size.layout.add(bucket.state, aggregatedValue(def, row), row);
  }
  if (newest !== null) {
    advanceMaxEventTime(db, id, newest);
    clock = clock === null ? newest : Math.max(clock, newest);
  }
  table.deleteRange(id, size.bucketMs, from, to);
  const cutoff = clock === null ? -Infinity : retentionCutoff(clock, size);
  let written = 0;
  for (const bucket of folded.values()) {
    if (bucket.start + size.bucketMs <= cutoff) continue;
    table.put(id, size.bucketMs, bucket.keys, bucket.start, size.layout.rows(bucket.state), size.layout.encode(bucket.state));
    written++;
  }
  if (clock !== null) table.deleteEndingBy(id, size.bucketMs, cutoff);
  return written;
}
