import { compileLayout } from "../aggregate/index.js";
import type { StateLayout } from "../aggregate/types.js";
import { AggError } from "../errors.js";
import type { Project, WindowedFeature } from "../project/model.js";
import { retentionCutoff } from "../series/compiled-series.js";
import { groupKeysOf, type SeriesDef } from "../series/derive.js";
import { layoutSignature } from "../series/layout-signature.js";
import type { SeriesRecord } from "../store/series-registry.js";
import { parseLayout, sameShape, type SizeRecord } from "../store/size-state.js";
import { gridOf, type BucketGrid } from "../time/bucket-grid.js";
import { formatDuration } from "../time/duration.js";
import { formatInstant } from "../time/instant.js";
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
  /** The size's buckets: fixed, or a zone's calendar; null for row-log groups. */
  readonly grid: BucketGrid | null;
  readonly bufferMs: number | null;
  readonly materializedThrough: number | null;
  /** Buckets ending at or before this were deleted by retention (SPEC 3); null: none yet. */
  readonly retentionCutoff: number | null;
  /**
   * The first bucket start whose buckets can be read as they are (see plan-window's
   * SizeFacts); Infinity: none can, and every value comes from the row log.
   */
  readonly trustedFrom: number;
  /** The series' newest event time as the store has it; null: none. */
  readonly newestEvent: number | null;
  /** The first row logged at or after M that no bucket holds; null: none. */
  readonly unfoldedFrom: number | null;
  /** `[from, to)` of rows an offline source put in the buckets (not in the row log); null: none. */
  readonly offline: { readonly from: number; readonly to: number } | null;
  /** Why older bucket slots come from the row log, when it is something a backfill fixes; null otherwise. */
  readonly historyReason: string | null;
  /** The windows served, with their column in the result. */
  readonly windows: readonly { readonly column: number; readonly target: SelectedWindow }[];
  /** Facts --explain reports for every window of the group. */
  readonly notes: readonly string[];
}

export interface BindContext {
  readonly project: Project;
  readonly defs: readonly SeriesDef[];
  readonly records: ReadonlyMap<string, SeriesRecord>;
  /** What the store records of each (series id, bucket size): key `id:bucketMs`. */
  readonly sizes: ReadonlyMap<string, SizeRecord>;
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
        const trust = record === null ? untrusted("the store has no record of this series yet: nothing was ingested or backfilled for it since it was declared", feature) : trustOf(def, size, record, ctx, feature);
        const layoutKey = `${def.identity}:${bucketMs}`;
        let layout = layouts.get(layoutKey);
        if (layout === undefined) layouts.set(layoutKey, (layout = compileLayout(size.specs)));
        const cutoff = record?.maxEventTime == null ? null : retentionCutoff(record.maxEventTime, size);
        const grid = gridOf(def, bucketMs);
        return {
          kind: "buckets", match: def, joinKey: feature.joinKey, keyIndex, grouped: def.groupKeys.length > 1 || feature.kind === "groupByWindowed",
          layout, seriesId: record?.id ?? null, bucketMs, anchor: m.anchor, grid, bufferMs: m.continuousBufferMs,
          materializedThrough: record?.materializedThrough ?? null,
          retentionCutoff: cutoff,
          trustedFrom: trust.filledFrom === Infinity ? Infinity : Math.max(trust.filledFrom, cutoff === null ? -Infinity : grid.alignDown(cutoff)),
          newestEvent: record?.maxEventTime ?? null,
          unfoldedFrom: record?.unfoldedFrom ?? null,
          offline: record === null ? null : (ctx.sizes.get(`${record.id}:${bucketMs}`)?.offline ?? null),
          historyReason: trust.reason,
          windows: [], notes: trust.notes,
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
    seriesId: null, bucketMs: 0, anchor: 0, grid: null, bufferMs: null, materializedThrough: null, retentionCutoff: null, trustedFrom: Infinity, newestEvent: null, unfoldedFrom: null, offline: null, historyReason: null,
    windows: [], notes: ["not materialized: computed from the row log"],
  };
}

interface Trust {
  /** The filled part's start (-Infinity: all of it); Infinity: no bucket can be read. */
  readonly filledFrom: number;
  readonly reason: string | null;
  readonly notes: string[];
}

function untrusted(why: string, feature: WindowedFeature): Trust {
  return { filledFrom: Infinity, reason: `${why}; \`agg backfill --feature ${feature.fqn}\` fills the buckets`, notes: [why] };
}

/**
 * Which of a size's buckets a query may read, checked on every query against what the
 * store records (never trusting that another command registered the feature as it is
 * now): buckets filled for other aggregations or another anchor are not read at all, and
 * slots before the filled part are computed from the row log.
 */
function trustOf(def: SeriesDef, size: SeriesDef["sizes"][number], record: SeriesRecord, ctx: BindContext, feature: WindowedFeature): Trust {
  const seriesId = record.id;
  const stored = ctx.sizes.get(`${seriesId}:${size.bucketMs}`);
  const bucket = formatDuration(size.bucketMs);
  if (stored === undefined) return untrusted(`no ${bucket} bucket of this series was ever written`, feature);
  const expected = layoutSignature(def, size);
  if (stored.layout !== expected) {
    const was = parseLayout(stored.layout);
    const now = parseLayout(expected)!;
    if (was === null || !sameShape(was, now)) {
      return untrusted(`the ${bucket} buckets of series ${seriesId} were filled for an earlier definition of ${feature.fqn}${was === null ? "" : ` (${was.aggs.join(", ")}; now ${now.aggs.join(", ")})`}`, feature);
    }
    if (now.retention > was.retention) {
      // Buckets the shorter retention dropped are missing; those it kept are whole.
      const clock = record.maxEventTime;
      const kept = clock === null ? -Infinity : gridOf(def, size.bucketMs).alignDown(clock - was.retention - size.bucketMs);
      return { filledFrom: Math.max(kept, stored.filledFrom ?? -Infinity), reason: `the ${bucket} buckets of series ${seriesId} were kept for ${formatDuration(was.retention)}, the project now keeps them for ${formatDuration(now.retention)}; \`agg backfill --feature ${feature.fqn}\` fills the buckets`, notes: [] };
    }
  }
  if (stored.filledFrom === null) return { filledFrom: -Infinity, reason: null, notes: [] };
  const why =
    stored.reason === "changed"
      ? `${feature.fqn} was edited`
      : stored.reason === "retention"
        ? "its retention grew"
        : stored.reason === "unfolded"
          ? "rows were logged without updating its buckets (a resolver with updatesMaterializedAggregations: false)"
          : `the ${bucket} buckets were added after rows were logged`;
  return {
    filledFrom: stored.filledFrom,
    reason: `${why}, so its buckets hold the rows from ${formatInstant(stored.filledFrom)} on only; \`agg backfill --feature ${feature.fqn}\` fills the rest`,
    notes: [`buckets hold every logged row from ${formatInstant(stored.filledFrom)} on; earlier slots come from the row log`],
  };
}
