import type { NamespaceModel, StreamModel } from "../project/model.js";
import type { CompiledSeries, CompiledSize } from "../series/compiled-series.js";
import type { Db } from "../store/open-store.js";
import { storedLayouts } from "../store/series-registry.js";
import { formatDuration } from "../time/duration.js";

/** A series a stream feeds, with the bucket sizes ingest may update. */
export interface Target {
  readonly series: CompiledSeries;
  readonly sizes: readonly CompiledSize[];
  /**
   * Whether the row log's per-key index finds this series' rows: it compares the key as
   * SQLite text, which matches agg's own text form for strings and whole numbers.
   */
  readonly keyed: boolean;
}

/** A (series, bucket size) whose stored buckets were filled for another definition. */
export interface NeedsBackfill {
  readonly series: number;
  readonly bucket: string;
  readonly features: readonly string[];
}

export interface AffectedSeries {
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
    const sizes = series.sizes.filter((size) => {
      const layout = stored.get(`${series.id}:${size.bucketMs}`);
      if (layout === undefined || layout === size.signature) return true;
      const features = series.def.rules.filter((r) => r.bucketMs === size.bucketMs).flatMap((r) => r.dependents);
      needsBackfill.push({ series: series.id, bucket: formatDuration(size.bucketMs), features: [...new Set(features)] });
      return false;
    });
    const firstKey = ns.scalars.find((s) => s.name === series.def.groupKeys[0]);
    const keyed = firstKey !== undefined && ["string", "int", "datetime"].includes(firstKey.kind);
    if (sizes.length > 0) targets.push({ series, sizes, keyed });
  }
  return { targets, needsBackfill };
}
