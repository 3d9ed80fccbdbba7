import { bucketGrid, type BucketGrid } from "../time/bucket-grid.js";
import { closedSpan, firstMs, lastMs, type Span } from "./span.js";

/** How a window's value is put together (SPEC 5.3). */
export type PlanMode =
  /** No continuous buffer: every bucket that overlaps the window. */
  | "buckets"
  /** `C >= T - M`: buckets before the last filled one, the row log from its start to T. */
  | "buffer"
  /** `C < T - M`: buckets ending by M, the row log over `(T - C, T]`, a gap in between. */
  | "buffer-gap"
  /** Nothing was ever folded into the buckets (no materialized-through time): the row log, bucket-aligned. */
  | "unmaterialized"
  /** Not materialized: the row log over exactly `(T - W, T]`. */
  | "row-log";

/** What the store says about one bucket size of a series, for planning. */
export interface SizeFacts {
  readonly bucketMs: number;
  readonly anchor: number;
  /** The size's buckets (a zone's calendar, or fixed); absent: fixed from `anchor`. */
  readonly grid?: BucketGrid;
  readonly bufferMs: number | null;
  /** M: the buckets hold every logged row before it (within the trusted part); null: never filled. */
  readonly materializedThrough: number | null;
  /**
   * The first bucket start whose buckets hold every logged row: the filled part's start,
   * raised past what retention dropped. Infinity: no bucket can be read (the buckets
   * were filled for another definition, or never recorded).
   */
  readonly trustedFrom: number;
  /** The newest event time the buckets may hold; null: unknown (none). */
  readonly newestEvent: number | null;
  /** The first row logged at or after M that no bucket holds (store/unfolded-rows.ts); null: none. */
  readonly unfoldedFrom: number | null;
  /** `[from, to)` of rows an offline source put in the buckets, which the row log does not hold; null: none. */
  readonly offline?: { readonly from: number; readonly to: number } | null;
}

/** What one bucket size of a series reads at time T; every window of that size shares it. */
export interface SizePlan extends SizeFacts {
  readonly grid: BucketGrid;
  readonly at: number;
  readonly mode: PlanMode;
  /** Start of the newest bucket merged. */
  readonly lastBucket: number;
  /** Rows with `rowsFrom <= ts <= T` come from the row log; null: none. */
  readonly rowsFrom: number | null;
  /** buffer-gap: the first ms neither the buckets nor the row log cover. */
  readonly gapFrom: number | null;
  /** No buffer, and rows from `unfoldedFrom` on are in no bucket: the newest slots come from the row log. */
  readonly unfoldedTail: boolean;
  /** Bucket slots before this (and from a window's first) are computed from the row log instead. */
  readonly historyTo: number;
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
  /** The newest part read from the row log (the continuous buffer, or the bucket holding a past T). */
  readonly rows: Span | null;
  /** Older bucket slots computed from the row log because their buckets cannot be read (SPEC 5.3, any T from the truth). */
  readonly history: Span | null;
  /** Part of the window that neither buckets nor the row log cover (buffer-gap only). */
  readonly uncovered: Span | null;
  /**
   * Part of the history read from the row log where an offline source's rows were in
   * buckets retention has since dropped: the row log does not hold them, so the value
   * misses them (partial). Inside `history`.
   */
  readonly unlogged: Span | null;
}

/**
 * Plans a bucket size of a series at T, with C the continuous buffer and M the series'
 * materialized-through time (SPEC 5.3). Buckets and row-log rows never overlap in time,
 * so no row is counted twice. As of T: when the buckets may hold rows after T, the
 * bucket holding T is read from the row log up to T instead.
 */
export function planSize(at: number, facts: SizeFacts): SizePlan {
  const { bufferMs, materializedThrough: m } = facts;
  const grid = facts.grid ?? bucketGrid(facts.bucketMs, facts.anchor);
  const current = grid.start(at);
  let lastBucket = facts.newestEvent !== null && at < facts.newestEvent ? grid.prev(current) : current;
  let mode: PlanMode = "buckets";
  let gapFrom: number | null = null;
  let rowsFrom: number | null = null;
  let trustedFrom = facts.trustedFrom;
  if (m === null) {
    // Nothing was folded: every bucket slot comes from the row log.
    mode = "unmaterialized";
    trustedFrom = Infinity;
  } else if (bufferMs !== null && bufferMs < at - m) {
    // Buckets that end by M; the newest rows from the log; between them, nothing.
    mode = "buffer-gap";
    // The last bucket that ends by M.
    lastBucket = Math.min(lastBucket, grid.prev(m));
    gapFrom = grid.end(lastBucket);
    rowsFrom = at - bufferMs + 1;
  } else if (bufferMs !== null) {
    // The last filled bucket holds M - 1; it is read from the row log instead (from its start).
    mode = "buffer";
    lastBucket = Math.min(lastBucket, grid.prev(m - 1));
  }
  let unfoldedTail = false;
  if (mode === "buckets" && facts.unfoldedFrom !== null && facts.unfoldedFrom <= at) {
    // Rows were logged from unfoldedFrom on without updating the buckets: the buckets that
    // end by then, and the rest from the row log (SPEC 5.3: any T, from the truth).
    lastBucket = Math.min(lastBucket, grid.prev(facts.unfoldedFrom));
    unfoldedTail = true;
  }
  const lastEnd = grid.end(lastBucket);
  if (mode !== "buffer-gap" && lastEnd <= at) rowsFrom = lastEnd;
  return { ...facts, grid, trustedFrom, at, mode, lastBucket, rowsFrom, gapFrom, unfoldedTail, historyTo: Math.min(trustedFrom, lastEnd, at + 1) };
}

/** A window of `windowMs` read at the size `size` plans. */
export function planWindow(size: SizePlan, windowMs: number): WindowPlan {
  const { at, grid } = size;
  // SPEC 5.3: every bucket [s, e) with e > T - W and s <= T; the plan may stop earlier.
  const first = grid.overlapping(at - windowMs, at).first;
  const bucketFrom = Math.max(first, size.trustedFrom);
  const buckets: Span | null = bucketFrom <= size.lastBucket ? { from: bucketFrom, to: grid.end(size.lastBucket), bounds: "[)" } : null;
  const history: Span | null = first < size.historyTo ? { from: first, to: size.historyTo, bounds: "[)" } : null;
  let rows: Span | null = null;
  let uncovered: Span | null = null;
  if (size.rowsFrom !== null) {
    const rowFrom = Math.max(size.rowsFrom, first);
    if (rowFrom <= at) rows = size.mode === "buffer-gap" && rowFrom === size.rowsFrom ? { from: rowFrom - 1, to: at, bounds: "(]" } : { from: rowFrom, to: at, bounds: "[]" };
    if (size.gapFrom !== null) uncovered = closedSpan(Math.max(size.gapFrom, first), Math.min(rowFrom, at + 1) - 1);
  }
  // Row-log reads (history, or the bucket holding a past T) inside an offline range miss its rows.
  const off = size.offline ?? null;
  const unlogged = off === null ? null : (missing(history, off) ?? missing(rows, off));
  return { windowMs, mode: size.mode, window: { from: at - windowMs, to: at, bounds: "(]" }, cut: first, size, buckets, rows, history, uncovered, unlogged };
}

/** A window of a feature that is not materialized: the row log over exactly `(T - W, T]`. */
export function planRowWindow(at: number, windowMs: number): WindowPlan {
  const window: Span = { from: at - windowMs, to: at, bounds: "(]" };
  return { windowMs, mode: "row-log", window, cut: at - windowMs + 1, size: null, buckets: null, rows: window, history: null, uncovered: null, unlogged: null };
}

/** The part of a row-log span that lies in `[off.from, off.to)`, or null. */
function missing(span: Span | null, off: { readonly from: number; readonly to: number }): Span | null {
  return span === null ? null : closedSpan(Math.max(firstMs(span), off.from), Math.min(lastMs(span), off.to - 1));
}
