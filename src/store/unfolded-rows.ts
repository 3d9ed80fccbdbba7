import { alignUp } from "../time/buckets.js";
import type { Db } from "./open-store.js";
import { parseLayout } from "./size-state.js";

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
  const series = db.prepare<[string], { id: number; m: number | null }>("SELECT id, materialized_through AS m FROM series WHERE namespace = ?").all(namespace);
  const sizesOf = db.prepare<[number], { bucket_ms: number; layout: string; filled_from: number | null }>("SELECT bucket_ms, layout, filled_from FROM series_sizes WHERE series_id = ?");
  let newest = -Infinity;
  for (const t of times) if (t > newest) newest = t;
  for (const { id, m } of series) {
    const sizes = sizesOf.all(id);
    const unfolded = sizes.filter((s) => !folded.has(`${id}:${s.bucket_ms}`));
    if (unfolded.length === 0) continue;
    if (unfolded.length < sizes.length) {
      // Other sizes of the series were folded and move M: these can only start after the rows.
      for (const size of unfolded) raise(db, id, size, newest);
      continue;
    }
    // No M yet (nothing folded): every row is at or after it.
    const through = m ?? -Infinity;
    let before = -Infinity;
    let first = Infinity;
    let last = -Infinity;
    for (const t of times) {
      if (t < through) before = Math.max(before, t);
      else {
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
    if (before > -Infinity) for (const size of sizes) raise(db, id, size, before);
    if (first < Infinity) {
      db.prepare(
        "UPDATE series SET unfolded_from = min(coalesce(unfolded_from, @first), @first), unfolded_to = max(coalesce(unfolded_to, @last), @last), unfolded_version = unfolded_version + 1 WHERE id = @id",
      ).run({ first, last, id });
    }
  }
}

/** The size's filled part starts at the first bucket boundary after `newest`, or later. */
function raise(db: Db, seriesId: number, size: { bucket_ms: number; layout: string; filled_from: number | null }, newest: number): void {
  const from = alignUp(newest + 1, size.bucket_ms, parseLayout(size.layout)?.anchor ?? 0);
  if (size.filled_from !== null && from <= size.filled_from) return;
  db.prepare("UPDATE series_sizes SET filled_from = ?, filled_reason = 'unfolded' WHERE series_id = ? AND bucket_ms = ?").run(from, seriesId, size.bucket_ms);
}

/** A series' record of unfolded rows at or after M. */
export interface UnfoldedSpan {
  readonly from: number | null;
  readonly to: number | null;
  readonly version: number;
}

export function readUnfolded(db: Db, seriesId: number): UnfoldedSpan {
  const row = db.prepare<[number], { from: number | null; to: number | null; version: number }>("SELECT unfolded_from AS \"from\", unfolded_to AS \"to\", unfolded_version AS version FROM series WHERE id = ?").get(seriesId);
  return row ?? { from: null, to: null, version: 0 };
}

/**
 * A backfill that read `[lower, upper)` from the row log for every size of the series,
 * and saw `before` when it started, folded every unfolded row of that record if the
 * range holds them all and no commit logged more since (the version did not change: a
 * row logged meanwhile into a range already replaced is in no bucket). Must run inside a
 * write transaction.
 */
export function clearUnfolded(db: Db, seriesId: number, before: UnfoldedSpan, lower: number, upper: number): void {
  const now = readUnfolded(db, seriesId);
  if (now.from === null || now.version !== before.version || now.from < lower || now.to! >= upper) return;
  db.prepare("UPDATE series SET unfolded_from = NULL, unfolded_to = NULL WHERE id = ?").run(seriesId);
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
