import { bucketStart, bucketsOverlapping } from "../time/buckets.js";
import { closedSpan, type Span } from "./span.js";

/** How a window's value is put together (SPEC 5.3). */
export type PlanMode =
  /** No continuous buffer: every bucket that overlaps the window. */
  | "buckets"
  /** A buffer is set but the series was never backfilled: buckets only. */
  | "never-backfilled"
  /** `C >= T - M`: buckets before the last filled one, the row log from its start to T. */
  | "buffer"
  /** `C < T - M`: buckets ending by M, the row log over `(T - C, T]`, a gap in between. */
  | "buffer-gap"
  /** Not materialized: the row log over exactly `(T - W, T]`. */
  | "row-log";

/** What one bucket size of a series reads at time T; every window of that size shares it. */
export interface SizePlan {
  readonly at: number;
  readonly mode: PlanMode;
  readonly bucketMs: number;
  readonly anchor: number;
  readonly bufferMs: number | null;
  readonly materializedThrough: number | null;
  /** Start of the newest bucket merged. */
  readonly lastBucket: number;
  /** Rows with `rowsFrom <= ts <= T` come from the row log; null: none. */
  readonly rowsFrom: number | null;
  /** buffer-gap: the first ms neither the buckets nor the row log cover. */
  readonly gapFrom: number | null;
}

/** One window of one feature at time T. */
export interface WindowPlan {
  readonly windowMs: number;
  readonly mode: PlanMode;
  /** `(T - W, T]` */
  readonly window: Span;
  /** Bucket starts and row times at or after the cut belong to this window. */
  readonly cut: number;
  readonly size: SizePlan | null;
  /** The bucket slots merged, `[first start, last end)`; null when none. */
  readonly buckets: Span | null;
  readonly rows: Span | null;
  /** Part of the window that neither buckets nor the row log cover (buffer-gap only). */
  readonly uncovered: Span | null;
}

/**
 * Plans a bucket size of a series at T, with C the continuous buffer and M the series'
 * materialized-through time (SPEC 5.3). Buckets and row-log rows never overlap in time,
 * so no row is counted twice.
 */
export function planSize(at: number, bucketMs: number, anchor: number, bufferMs: number | null, materializedThrough: number | null): SizePlan {
  const current = bucketStart(at, bucketMs, anchor);
  const base = { at, bucketMs, anchor, bufferMs, materializedThrough };
  if (bufferMs === null) return { ...base, mode: "buckets", lastBucket: current, rowsFrom: null, gapFrom: null };
  if (materializedThrough === null) return { ...base, mode: "never-backfilled", lastBucket: current, rowsFrom: null, gapFrom: null };
  if (bufferMs < at - materializedThrough) {
    // Buckets that end by M; the newest rows from the log; between them, nothing.
    const lastBucket = Math.min(current, bucketStart(materializedThrough - bucketMs, bucketMs, anchor));
    return { ...base, mode: "buffer-gap", lastBucket, rowsFrom: at - bufferMs + 1, gapFrom: lastBucket + bucketMs };
  }
  // The last filled bucket holds M - 1; it is read from the row log instead (from its start).
  const lastFilled = bucketStart(materializedThrough - 1, bucketMs, anchor);
  return { ...base, mode: "buffer", lastBucket: Math.min(current, lastFilled - bucketMs), rowsFrom: lastFilled, gapFrom: null };
}

/** A window of `windowMs` read at the size `size` plans. */
export function planWindow(size: SizePlan, windowMs: number): WindowPlan {
  const { at, bucketMs, anchor } = size;
  // SPEC 5.3: every bucket [s, e) with e > T - W and s <= T; the plan may stop earlier.
  const first = bucketsOverlapping(at - windowMs, at, bucketMs, anchor).first;
  const buckets: Span | null = first <= size.lastBucket ? { from: first, to: size.lastBucket + bucketMs, bounds: "[)" } : null;
  let rows: Span | null = null;
  let uncovered: Span | null = null;
  if (size.rowsFrom !== null) {
    const from = Math.max(size.rowsFrom, first);
    if (from <= at) rows = size.mode === "buffer-gap" && from === size.rowsFrom ? { from: from - 1, to: at, bounds: "(]" } : { from, to: at, bounds: "[]" };
    if (size.gapFrom !== null) uncovered = closedSpan(Math.max(size.gapFrom, first), Math.min(from, at + 1) - 1);
  }
  return { windowMs, mode: size.mode, window: { from: at - windowMs, to: at, bounds: "(]" }, cut: first, size, buckets, rows, uncovered };
}

/** A window of a feature that is not materialized: the row log over exactly `(T - W, T]`. */
export function planRowWindow(at: number, windowMs: number): WindowPlan {
  const window: Span = { from: at - windowMs, to: at, bounds: "(]" };
  return { windowMs, mode: "row-log", window, cut: at - windowMs + 1, size: null, buckets: null, rows: window, uncovered: null };
}
