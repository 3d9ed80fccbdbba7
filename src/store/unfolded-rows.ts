import { gridOf } from "../time/bucket-grid.js";
import type { Db } from "./sqlite/open-store.js";
import { layoutCalendar, parseLayout } from "./size-state.js";

/**
 * Rows a commit logged without folding them into some sizes' buckets: a resolver with
 * `updatesMaterializedAggregations: false`, or an ingest running another definition of a
 * feature than the one a size was claimed for. Keeping "buckets hold every logged row"
 * true needs one of two records, by where a row falls against the series' M:
 *
 * - before M (a late row): the buckets of that time claim to be complete and are not, so
 *   each size's filled part starts after it (reads compute older slots from the row log);
 * - at or after M: nothing claims it yet; the series records the span of such rows, and
 *   M never moves past its start (SPEC 3), so the continuous buffer reads them from the
 *   row log and a query without one marks the span as not covered.
 *
 * `times` holds the event times the commit logged or replaced (both versions of a
 * replaced row); `folded` the `seriesId:bucketMs` keys it did fold into. Must run inside
 * that commit's transaction.
 */
export function recordUnfolded(db: Db, namespace: string, times: readonly number[], folded: ReadonlySet<string>): void {
  if (times.length === 0) return;
  const series = db
    .prepare<[string], SeriesState>("SELECT id, materialized_through AS m, refold_lower, refold_from, refold_to FROM series WHERE namespace = ?")
    .all(namespace);
  const sizesOf = db.prepare<[number], SizeRow>("SELECT bucket_ms, layout, filled_from FROM series_sizes WHERE series_id = ?");
  let newest = -Infinity;
  for (const t of times) if (t > newest) newest = t;
  for (const state of series) {
    const { id } = state;
    const sizes = sizesOf.all(id);
    const unfolded = sizes.filter((s) => !folded.has(`${id}:${s.bucket_ms}`));
    if (unfolded.length === 0) continue;
    if (unfolded.length < sizes.length) {
      // Other sizes of the series were folded and move M: these can only start after the rows.
      for (const size of unfolded) raise(db, id, size, newest);
      continue;
    }
    const span = { first: Infinity, last: -Infinity, nextFirst: Infinity, nextLast: -Infinity, raiseTo: -Infinity };
    for (const t of times) place(state, t, span);
    if (span.raiseTo > -Infinity) for (const size of sizes) raise(db, id, size, span.raiseTo);
    if (span.first < Infinity) {
      db.prepare(
        "UPDATE series SET unfolded_from = min(coalesce(unfolded_from, @first), @first), unfolded_to = max(coalesce(unfolded_to, @last), @last) WHERE id = @id",
      ).run({ first: span.first, last: span.last, id });
    }
    if (span.nextFirst < Infinity) {
      db.prepare("UPDATE series SET next_from = min(coalesce(next_from, @first), @first), next_to = max(coalesce(next_to, @last), @last) WHERE id = @id").run({ first: span.nextFirst, last: span.nextLast, id });
    }
  }
}

interface SeriesState {
  readonly id: number;
  readonly m: number | null;
  readonly refold_lower: number | null;
  readonly refold_from: number | null;
  readonly refold_to: number | null;
}

interface SizeRow {
  readonly bucket_ms: number;
  readonly layout: string;
  readonly filled_from: number | null;
}

/**
 * Where one unfolded row's time puts it. Inside the part a running backfill has still to
 * refold: a later chunk folds it (the span covers it meanwhile). Before M, or inside the
 * part already refolded: the buckets of its time no longer hold every row (raise). At or
 * after M: the recorded span grows; and when a backfill runs, a row it will not fold
 * (below its range, or at or after its end) is also noted for what the span becomes
 * once that backfill is done.
 */
function place(state: SeriesState, t: number, span: { first: number; last: number; nextFirst: number; nextLast: number; raiseTo: number }): void {
  const refolding = state.refold_to !== null && state.refold_lower !== null && state.refold_from !== null;
  const ahead = refolding && t >= state.refold_lower! && t < state.refold_from!; // a later chunk folds it
  if (!ahead && (t < (state.m ?? -Infinity) || (refolding && t >= state.refold_from! && t < state.refold_to!))) {
    span.raiseTo = Math.max(span.raiseTo, t);
    return;
  }
  span.first = Math.min(span.first, t);
  span.last = Math.max(span.last, t);
  if (refolding && (t < state.refold_lower! || t >= state.refold_to!)) {
    span.nextFirst = Math.min(span.nextFirst, t);
    span.nextLast = Math.max(span.nextLast, t);
  }
}

/** The size's filled part starts at the first bucket boundary after `newest`, or later. */
function raise(db: Db, seriesId: number, size: SizeRow, newest: number): void {
  const from = gridOf(layoutCalendar(parseLayout(size.layout)), size.bucket_ms).alignUp(newest + 1);
  if (size.filled_from !== null && from <= size.filled_from) return;
  db.prepare("UPDATE series_sizes SET filled_from = ?, filled_reason = 'unfolded' WHERE series_id = ? AND bucket_ms = ?").run(from, seriesId, size.bucket_ms);
}

/** A series' record of unfolded rows at or after M, as a backfill found it. */
export interface UnfoldedSpan {
  readonly from: number | null;
  readonly to: number | null;
}

/**
 * A backfill from the row log starts refolding every size of a series over
 * `[lower, upper)`, down from `upper`; runs in the transaction of its first chunk (which
 * has replaced `[from, upper)`). From here on unfolded rows are placed against its range
 * (see `place`). Returns the record as it was, or null when another live backfill is
 * refolding the series (then this one leaves the record as it is: conservative).
 * `isStale` tells whether a recorded owner is gone (killed before it finished).
 */
export function beginRefold(db: Db, seriesId: number, owner: string, range: { lower: number; from: number; upper: number }, isStale: (owner: string) => boolean): UnfoldedSpan | null {
  const row = db.prepare<[number], { owner: string | null; from: number | null; to: number | null }>("SELECT refold_owner AS owner, unfolded_from AS \"from\", unfolded_to AS \"to\" FROM series WHERE id = ?").get(seriesId);
  if (row === undefined || (row.owner !== null && row.owner !== owner && !isStale(row.owner))) return null;
  db.prepare("UPDATE series SET refold_owner = @owner, refold_lower = @lower, refold_from = @from, refold_to = @upper, next_from = NULL, next_to = NULL WHERE id = @id").run({ owner, ...range, id: seriesId });
  return { from: row.from, to: row.to };
}

/** The refold of a series got down to `from` (in the transaction that replaced `[from, ...)`). */
export function continueRefold(db: Db, seriesId: number, owner: string, from: number): void {
  db.prepare("UPDATE series SET refold_from = ? WHERE id = ? AND refold_owner = ?").run(from, seriesId, owner);
}

/**
 * The refold is done: every unfolded row in `[lower, upper)` was folded by a chunk, or
 * (logged into a part already refolded) moved its sizes' filled part up. The span left is
 * what lies outside the range: from before the run (`before`, the part at or after
 * `upper`, or all of it when the range did not reach its start) and what was logged
 * meanwhile outside it. Must run inside the series' finishing transaction.
 */
export function finishRefold(db: Db, seriesId: number, owner: string, before: UnfoldedSpan): void {
  const row = db
    .prepare<[number, string], { lower: number; upper: number; nextFrom: number | null; nextTo: number | null }>(
      "SELECT refold_lower AS lower, refold_to AS upper, next_from AS nextFrom, next_to AS nextTo FROM series WHERE id = ? AND refold_owner = ?",
    )
    .get(seriesId, owner);
  if (row === undefined) return;
  let from = row.nextFrom ?? Infinity;
  let to = row.nextTo ?? -Infinity;
  if (before.from !== null && before.to !== null) {
    if (before.from < row.lower) {
      // The range did not reach the oldest unfolded row: the old record stands as it was.
      from = Math.min(from, before.from);
      to = Math.max(to, before.to);
    } else if (before.to >= row.upper) {
      // Rows at or after the range's end, from before the run: some are there, from its end on.
      from = Math.min(from, row.upper);
      to = Math.max(to, before.to);
    }
  }
  db.prepare("UPDATE series SET unfolded_from = @from, unfolded_to = @to, refold_owner = NULL, refold_lower = NULL, refold_from = NULL, refold_to = NULL, next_from = NULL, next_to = NULL WHERE id = @id").run({
    from: from === Infinity ? null : from,
    to: to === -Infinity ? null : to,
    id: seriesId,
  });
}

/** A backfill that stopped before finishing gives the refold up (rows it did not reach stay recorded). */
export function abandonRefold(db: Db, seriesId: number, owner: string): void {
  db.prepare("UPDATE series SET refold_owner = NULL, refold_lower = NULL, refold_from = NULL, refold_to = NULL, next_from = NULL, next_to = NULL WHERE id = ? AND refold_owner = ?").run(seriesId, owner);
}

/**
 * Moves a series' materialized-through time forward to `through` (never back, and never
 * past the first unfolded row, see recordUnfolded). Must run inside the commit that
 * folded the rows.
 */
export function advanceMaterializedThrough(db: Db, seriesId: number, through: number): void {
  db.prepare(
    "UPDATE series SET materialized_through = max(coalesce(materialized_through, min(@through, coalesce(unfolded_from, @through))), min(@through, coalesce(unfolded_from, @through))) WHERE id = @id",
  ).run({ through, id: seriesId });
}
