import type { Project } from "../project/model.js";
import type { CompiledSeries } from "../series/compiled-series.js";

const DAY = 86_400_000;

/**
 * The features of `namespace` the row log keeps a per-entity index on, and the ones it
 * does not (any index earlier runs made on those is dropped). An index costs every
 * ingested row one more insert at a random place of a large B-tree, about as much as
 * logging the row itself, so only reads by entity that may span more than a day of rows
 * get one: a windowed feature without materialization (a query aggregates its whole
 * window from the log), a continuous buffer longer than a day, and a series whose buckets
 * miss history (`readingHistory`: queries compute it from the log by entity until a
 * backfill fills them). Shorter reads go through the row log's time index and filter.
 *
 * A series with buckets longer than a day (an unbounded window's, say) reads by entity
 * only to rebuild a bucket a replaced row was in: its key is `onDemand`, indexed by the
 * first such rebuild (BatchApplier) and kept from then on, so a stream without
 * replacements never pays for it (on the flights bench the index cost 20% of ingest).
 */
export function rowKeyFeatures(project: Project, namespace: string, series: readonly CompiledSeries[], readingHistory: ReadonlySet<number> = new Set()): { indexed: Set<string>; unindexed: Set<string>; onDemand: Set<string> } {
  const indexed = new Set<string>();
  const onDemand = new Set<string>();
  const all = new Set<string>();
  for (const feature of project.windowed) {
    if (feature.source !== namespace) continue;
    all.add(feature.joinKey);
    const m = feature.materialization;
    const span = m === null ? Math.max(...feature.windows) : (m.continuousBufferMs ?? 0);
    if (span > DAY) indexed.add(feature.joinKey);
  }
  for (const s of series) {
    if (s.def.namespace !== namespace) continue;
    const first = s.def.groupKeys[0];
    if (first === undefined) continue;
    all.add(first);
    if (readingHistory.has(s.id)) indexed.add(first);
    else if (s.sizes.some((size) => size.bucketMs > DAY)) onDemand.add(first);
  }
  for (const f of indexed) onDemand.delete(f);
  return { indexed, unindexed: new Set([...all].filter((f) => !indexed.has(f) && !onDemand.has(f))), onDemand };
}
