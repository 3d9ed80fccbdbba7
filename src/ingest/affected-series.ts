import type { NamespaceModel, StreamModel } from "../project/model.js";
import type { CompiledSeries, CompiledSize } from "../series/compiled-series.js";
import type { Db } from "../store/sqlite/open-store.js";
import { storedLayouts } from "../store/series-registry.js";
import { formatDuration } from "../time/duration.js";

/** A series a stream feeds, with the bucket sizes ingest may update. */
export interface Target {
  readonly series: CompiledSeries;
  /** The sizes whose stored layout is this definition's (or none yet), when planned. */
  readonly sizes: readonly CompiledSize[];
  /**
   * Whether the row log's per-key index finds this series' rows: it compares the key as
   * SQLite text, which matches agg's own text form for strings and whole numbers.
   */
  readonly keyed: boolean;
}

/** A (series, bucket size) whose stored buckets were filled for another definition. */
export interface NeedsBackfill {
  readonly series: number | null;
  readonly bucket: string;
  readonly features: readonly string[];
  /** Why, in a sentence. */
  readonly reason: string;
}

export interface AffectedSeries {
  /** Every series over the stream's output namespace, also those with no size to update now. */
  readonly targets: readonly Target[];
  readonly needsBackfill: readonly NeedsBackfill[];
}

/**
 * The series a stream resolver updates: every series over the resolver's output
 * namespace. The resolver returns whole rows of that namespace (normalizeRow checks every
 * declared feature), so it covers every series' keys, value, filter and event time.
 * A size whose buckets hold another layout (a feature changed) is left for backfill:
 * adding rows to a state of another shape would corrupt it.
 */
export function affectedSeries(db: Db, compiled: readonly CompiledSeries[], stream: StreamModel, ns: NamespaceModel): AffectedSeries {
  if (!stream.updatesMaterializedAggregations) return { targets: [], needsBackfill: [] };
  const stored = storedLayouts(db);
  const targets: Target[] = [];
  const needsBackfill: NeedsBackfill[] = [];
  for (const series of compiled) {
    if (series.def.namespace !== ns.name) continue;
    const { sizes, stale } = sizesToUpdate(series, stored);
    needsBackfill.push(...stale);
    const firstKey = ns.scalars.find((s) => s.name === series.def.groupKeys[0]);
    const keyed = firstKey !== undefined && ["string", "int", "datetime"].includes(firstKey.kind);
    targets.push({ series, sizes, keyed });
  }
  return { targets, needsBackfill };
}

/**
 * Splits a series' sizes by their recorded layout (`layouts`: storedLayouts): ingest
 * updates those recorded with this definition's layout or not recorded yet; the others
 * need a backfill first. Ingest asks again whenever another process has written.
 */
export function sizesToUpdate(series: CompiledSeries, layouts: ReadonlyMap<string, string>): { sizes: CompiledSize[]; stale: NeedsBackfill[] } {
  const sizes: CompiledSize[] = [];
  const stale: NeedsBackfill[] = [];
  for (const size of series.sizes) {
    const layout = layouts.get(`${series.id}:${size.bucketMs}`);
    if (layout === undefined || layout === size.signature) {
      sizes.push(size);
      continue;
    }
    const features = series.def.rules.filter((r) => r.bucketMs === size.bucketMs).flatMap((r) => r.dependents);
    stale.push({ series: series.id, bucket: formatDuration(size.bucketMs), features: [...new Set(features)], reason: "another process filled its buckets for another definition of its features, so this run left them alone" });
  }
  return { sizes, stale };
}
