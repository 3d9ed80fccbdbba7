import type { SizeRecord } from "../store/size-state.js";
import type { CompiledSeries, CompiledSize } from "../series/compiled-series.js";
import { gridOf, type BucketGrid } from "../time/bucket-grid.js";
import type { RowSource } from "./row-source.js";

/** What range to fill: explicit bounds (each defaulting to the source's data), or a schedule's. */
export type RangeRequest =
  | { readonly kind: "bounds"; readonly lower?: number; readonly upper?: number }
  /**
   * A scheduled run: all data up to the last bucket boundary at or before `now`, so only
   * complete buckets are filled and the materialized-through time never passes `now`.
   * (Chunks wholly past retention are skipped without reading, so "all data" costs about
   * one retention's worth of rows.)
   */
  | { readonly kind: "scheduled"; readonly now: number };

/** One (series, bucket size) to recompute. */
export interface PlanItem {
  readonly series: CompiledSeries;
  readonly size: CompiledSize;
  readonly source: RowSource;
  /** `[lower, upper)` aligned to the size's grid (the series' anchor, or its zone's calendar); null when there is nothing to read. */
  readonly range: { readonly lower: number; readonly upper: number } | null;
  /** Rows of the source in the range when planned. */
  readonly rows: number;
  /**
   * Where the size's buckets held every logged row from before this run (null: from the
   * beginning; undefined: not recorded). A range that reaches it extends that filled part
   * down to the range's lower end.
   */
  readonly filledFrom: number | null | undefined;
  /** The range's lower end is the source's oldest row (no --lower-bound). */
  readonly fromOldest: boolean;
}

/**
 * Plans a backfill: for each series and each of its bucket sizes, the aligned range to
 * replace and how many source rows it covers. Lower bounds align down, upper bounds up, so
 * a bucket is always replaced whole.
 */
export function planBackfill(series: readonly CompiledSeries[], sourceFor: (namespace: string) => RowSource, sizes: ReadonlyMap<string, SizeRecord>, request: RangeRequest): PlanItem[] {
  const bounds = new Map<RowSource, { min: number; max: number } | null>();
  const items: PlanItem[] = [];
  for (const s of series) {
    const source = sourceFor(s.def.namespace);
    if (!bounds.has(source)) bounds.set(source, source.bounds());
    const data = bounds.get(source) ?? null;
    for (const size of s.sizes) {
      const range = alignedRange(request, data, gridOf(s.def, size.bucketMs));
      const fromOldest = request.kind === "scheduled" || request.lower === undefined;
      items.push({ series: s, size, source, range, rows: range === null ? 0 : source.count(range.lower, range.upper), filledFrom: sizes.get(`${s.id}:${size.bucketMs}`)?.filledFrom, fromOldest });
    }
  }
  return items;
}

function alignedRange(request: RangeRequest, data: { min: number; max: number } | null, grid: BucketGrid): PlanItem["range"] {
  let from: number | undefined;
  let to: number | undefined;
  if (request.kind === "scheduled") {
    from = data?.min;
    to = grid.alignDown(request.now);
  } else {
    from = request.lower ?? data?.min;
    // The newest row must fall inside the exclusive upper end.
    to = request.upper ?? (data === null ? undefined : data.max + 1);
  }
  if (from === undefined || to === undefined) return null;
  const lower = grid.alignDown(from);
  const upper = grid.alignUp(to);
  return lower < upper ? { lower, upper } : null;
}

/** The overall range of a plan (for the job record): smallest lower, largest upper. */
export function planSpan(items: readonly PlanItem[]): { lower: number | null; upper: number | null } {
  const ranges = items.flatMap((i) => (i.range === null ? [] : [i.range]));
  if (ranges.length === 0) return { lower: null, upper: null };
  return { lower: Math.min(...ranges.map((r) => r.lower)), upper: Math.max(...ranges.map((r) => r.upper)) };
}
