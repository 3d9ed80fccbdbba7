import { compileLayout } from "../aggregate/index.js";
import type { StateLayout } from "../aggregate/types.js";
import { AggError } from "../errors.js";
import type { Project, WindowedFeature } from "../project/model.js";
import { retentionCutoff } from "../series/compiled-series.js";
import { groupKeysOf, type SeriesDef } from "../series/derive.js";
import { UNFILLED_LAYOUT } from "../store/series-registry.js";
import { layoutSignature } from "../series/layout-signature.js";
import type { SeriesRecord } from "../store/series-registry.js";
import { formatDuration } from "../time/duration.js";
import type { SelectedWindow } from "./select-windows.js";

/** How rows of the aggregated namespace meet a group (the row-match helpers' view). */
export type RowMatch = Pick<SeriesDef, "namespace" | "groupKeys" | "feature" | "filter">;

/**
 * Windows that read the same data: one (series, bucket size, join-key position, buffer)
 * for materialized features, one feature for the others. A query reads each group's
 * buckets and rows once for all its windows and entities.
 */
export interface BoundGroup {
  readonly kind: "buckets" | "rows";
  readonly match: RowMatch;
  /** The feature of `match.namespace` that holds the entity id. */
  readonly joinKey: string;
  readonly keyIndex: number;
  /** groupByWindowed: values are objects from the other group keys to a value. */
  readonly grouped: boolean;
  readonly layout: StateLayout;
  /** null for row-log groups, and for series the store has no record of yet. */
  readonly seriesId: number | null;
  readonly bucketMs: number;
  readonly anchor: number;
  readonly bufferMs: number | null;
  readonly materializedThrough: number | null;
  /** Buckets ending at or before this were deleted by retention (SPEC 3); null: none yet. */
  readonly retentionCutoff: number | null;
  /** The windows served, with their column in the result. */
  readonly windows: readonly { readonly column: number; readonly target: SelectedWindow }[];
  /** Facts --explain reports for every window of the group. */
  readonly notes: readonly string[];
}

export interface BindContext {
  readonly project: Project;
  readonly defs: readonly SeriesDef[];
  readonly records: ReadonlyMap<string, SeriesRecord>;
  /** The layout signature each (series id, bucket size) was filled with: key `id:bucketMs`. */
  readonly storedLayouts: ReadonlyMap<string, string>;
}

type MutableGroup = Omit<BoundGroup, "windows"> & { windows: { column: number; target: SelectedWindow }[] };

/** Groups the selected windows by what they read. */
export function bindWindows(targets: readonly SelectedWindow[], ctx: BindContext): BoundGroup[] {
  const groups = new Map<string, MutableGroup>();
  const layouts = new Map<string, StateLayout>();
  targets.forEach((target, column) => {
    const { feature } = target;
    const m = feature.materialization;
    let key: string;
    let make: () => MutableGroup;
    if (m === null) {
      key = `rows:${feature.fqn}`;
      make = () => rowGroup(feature, ctx.project);
    } else {
      const def = ctx.defs.find((d) => d.features.some((f) => f.fqn === feature.fqn));
      if (def === undefined) throw new Error(`no series derived for ${feature.fqn}`);
      const bucketMs = m.bucketFor.get(target.windowMs);
      const size = def.sizes.find((s) => s.bucketMs === bucketMs);
      if (bucketMs === undefined || size === undefined) throw new Error(`no bucket size for ${target.fqn}`);
      const keyIndex = def.groupKeys.indexOf(feature.joinKey);
      key = `buckets:${def.identity}:${bucketMs}:${keyIndex}:${m.continuousBufferMs}:${feature.kind}`;
      make = () => {
        const record = ctx.records.get(def.identity) ?? null;
        const notes = record === null ? ["the store has no record of this series yet: nothing was ingested or backfilled for it"] : checkLayout(def, size, record.id, ctx, feature);
        const layoutKey = `${def.identity}:${bucketMs}`;
        let layout = layouts.get(layoutKey);
        if (layout === undefined) layouts.set(layoutKey, (layout = compileLayout(size.specs)));
        return {
          kind: "buckets", match: def, joinKey: feature.joinKey, keyIndex, grouped: def.groupKeys.length > 1 || feature.kind === "groupByWindowed",
          layout, seriesId: record?.id ?? null, bucketMs, anchor: m.anchor, bufferMs: m.continuousBufferMs,
          materializedThrough: record?.materializedThrough ?? null,
          retentionCutoff: record?.maxEventTime == null ? null : retentionCutoff(record.maxEventTime, size), windows: [], notes,
        };
      };
    }
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = make()));
    group.windows.push({ column, target });
  });
  return [...groups.values()];
}

function rowGroup(feature: WindowedFeature, project: Project): MutableGroup {
  const groupKeys = groupKeysOf(feature, project);
  return {
    kind: "rows", match: { namespace: feature.source, groupKeys, feature: feature.feature, filter: feature.filter }, joinKey: feature.joinKey,
    keyIndex: groupKeys.indexOf(feature.joinKey), grouped: groupKeys.length > 1 || feature.kind === "groupByWindowed", layout: compileLayout([feature.agg]),
    seriesId: null, bucketMs: 0, anchor: 0, bufferMs: null, materializedThrough: null, retentionCutoff: null, windows: [], notes: ["not materialized: computed from the row log"],
  };
}

/**
 * Buckets filled for other aggregations cannot be decoded: that is an error that says to
 * backfill. A changed retention only may leave old data out of long windows: a note.
 */
function checkLayout(def: SeriesDef, size: SeriesDef["sizes"][number], seriesId: number, ctx: BindContext, feature: WindowedFeature): string[] {
  const stored = ctx.storedLayouts.get(`${seriesId}:${size.bucketMs}`);
  const expected = layoutSignature(def, size);
  if (stored === undefined) return [`no ${formatDuration(size.bucketMs)} bucket of this series was ever written: ingest through a resolver that updates aggregations, or run \`agg backfill --feature ${feature.fqn}\``];
  if (stored === expected) return [];
  if (stored === UNFILLED_LAYOUT) {
    throw new AggError("store", `the ${formatDuration(size.bucketMs)} buckets of series ${seriesId} (behind ${feature.fqn}) were never filled with the rows logged before the feature existed`, {
      hint: `fill them with \`agg backfill --feature ${feature.fqn}\`, then query again`,
      meta: { series: seriesId, bucketMs: size.bucketMs },
    });
  }
  const was = JSON.parse(stored) as { aggs: string[]; retention: number };
  const now = JSON.parse(expected) as { aggs: string[]; retention: number };
  if (JSON.stringify(was.aggs) !== JSON.stringify(now.aggs)) {
    throw new AggError("store", `the ${formatDuration(size.bucketMs)} buckets of series ${seriesId} (behind ${feature.fqn}) hold ${was.aggs.join(", ")}, but the project now needs ${now.aggs.join(", ")}`, {
      hint: `rebuild them with \`agg backfill --feature ${feature.fqn}\`, then query again`,
      meta: { series: seriesId, bucketMs: size.bucketMs },
    });
  }
  return [`this series needs a backfill: its buckets were kept for ${formatDuration(was.retention)}, the project now keeps them for ${formatDuration(now.retention)}; longer windows may miss old data until \`agg backfill --feature ${feature.fqn}\` runs`];
}
