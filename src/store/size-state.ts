import { gridOf, type BucketCalendar } from "../time/bucket-grid.js";
import type { Db } from "./sqlite/open-store.js";

/**
 * What the store knows about one (series, bucket size): the layout its buckets were
 * filled with and `filledFrom`, the bucket start from which they hold every logged row
 * (null: from the beginning). Buckets of the size are exact where their start is at or
 * after `filledFrom` and they end after the retention cutoff; everywhere else a reader
 * computes values from the row log instead.
 */
export interface SizeRecord {
  readonly layout: string;
  readonly filledFrom: number | null;
  /** Why `filledFrom` was set (for messages); null when it is null. */
  readonly reason: FillReason | null;
  /** `[from, to)` of rows offline-source backfills folded in (not in the row log); null: none. */
  readonly offline?: { readonly from: number; readonly to: number } | null;
}

export type FillReason = "new" | "changed" | "retention" | "unfolded";

/** Every recorded size, keyed `seriesId:bucketMs`. */
export function readSizeRecords(db: Db): Map<string, SizeRecord> {
  const rows = db
    .prepare<[], { series_id: number; bucket_ms: number; layout: string; filled_from: number | null; filled_reason: FillReason | null; offline_from: number | null; offline_to: number | null }>(
      "SELECT series_id, bucket_ms, layout, filled_from, filled_reason, offline_from, offline_to FROM series_sizes",
    )
    .all();
  return new Map(
    rows.map((r) => [
      `${r.series_id}:${r.bucket_ms}`,
      { layout: r.layout, filledFrom: r.filled_from, reason: r.filled_from === null ? null : r.filled_reason, offline: r.offline_from === null || r.offline_to === null ? null : { from: r.offline_from, to: r.offline_to } },
    ]),
  );
}

/** The size as the current project declares it. */
export interface DeclaredSize {
  readonly seriesId: number;
  readonly namespace: string;
  readonly anchor: number;
  readonly calendar?: BucketCalendar | null;
  readonly bucketMs: number;
  readonly retentionMs: number;
  readonly signature: string;
}

/** Why a claim changed the record; null: it already matched. */
export type ClaimReason = "new-with-history" | "new" | "changed" | "retention" | null;

/**
 * Makes the store's record of a size match its declaration, so that every writer from now
 * on keeps its buckets current. Must run inside a write transaction.
 *
 * - Not recorded: recorded; when its namespace already has logged rows, `filledFrom` is the
 *   first bucket boundary after the newest of them (history waits for a backfill).
 * - Recorded with other aggregations or another anchor (a feature was edited): its
 *   buckets cannot be read or merged any more, so they are deleted and it starts again as
 *   a new size.
 * - Only the retention grew: the buckets stay, but those the shorter retention had
 *   already dropped are missing, so `filledFrom` moves up to the first bucket it kept.
 */
export function claimSize(db: Db, size: DeclaredSize, record: SizeRecord | undefined, clock: number | null): ClaimReason {
  const decision = decideClaim(size, record, clock, () => newestRow(db, size.namespace));
  if (decision === null) return null;
  if (decision.clearBuckets) db.prepare("DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ?").run(size.seriesId, size.bucketMs);
  writeRecord(db, size, decision.record.filledFrom, decision.record.reason);
  return decision.result;
}

interface ClaimDecision {
  readonly record: SizeRecord;
  /** The stored buckets were filled for another definition: they go. */
  readonly clearBuckets: boolean;
  readonly result: Exclude<ClaimReason, null>;
}

/** What claiming a size does (see claimSize), without doing it. */
function decideClaim(size: DeclaredSize, record: SizeRecord | undefined, clock: number | null, newest: () => number | null): ClaimDecision | null {
  if (record !== undefined && record.layout === size.signature) return null;
  const was = record === undefined ? null : parseLayout(record.layout);
  const now = parseLayout(size.signature)!;
  if (was !== null && sameShape(was, now)) {
    let filledFrom = record!.filledFrom;
    if (clock !== null && now.retention > was.retention) {
      const cutoff = clock - was.retention - size.bucketMs;
      // The first bucket that ends after the cutoff (its length may vary on a zone's calendar).
      const firstKept = gridOf(size, size.bucketMs).alignDown(cutoff);
      filledFrom = filledFrom === null ? firstKept : Math.max(filledFrom, firstKept);
    }
    const reason = filledFrom === null ? null : filledFrom === record!.filledFrom ? record!.reason : "retention";
    return { record: { layout: size.signature, filledFrom, reason }, clearBuckets: false, result: "retention" };
  }
  const last = newest();
  const filledFrom = last === null ? null : gridOf(size, size.bucketMs).alignUp(last + 1);
  const reason = filledFrom === null ? null : record === undefined ? "new" : "changed";
  const result = record !== undefined ? "changed" : last === null ? "new" : "new-with-history";
  return { record: { layout: size.signature, filledFrom, reason }, clearBuckets: record !== undefined, result };
}

function newestRow(db: Db, namespace: string): number | null {
  return db.prepare<[string], { t: number | null }>("SELECT max(ts) AS t FROM rows WHERE namespace = ?").get(namespace)?.t ?? null;
}

/**
 * The size records as they will be once `sizes` are claimed, read-only: what a
 * `backfill --plan` shows, since the backfill it plans claims them first.
 */
export function projectedSizeRecords(db: Db, sizes: readonly DeclaredSize[]): Map<string, SizeRecord> {
  const records = readSizeRecords(db);
  const clockOf = db.prepare<[number], { t: number | null }>("SELECT max_event_time AS t FROM series WHERE id = ?");
  for (const size of sizes) {
    const key = `${size.seriesId}:${size.bucketMs}`;
    const decision = decideClaim(size, records.get(key), clockOf.get(size.seriesId)?.t ?? null, () => newestRow(db, size.namespace));
    if (decision !== null) records.set(key, decision.record);
  }
  return records;
}

/** A size whose claim changed its record. */
export interface ClaimedSize {
  readonly size: DeclaredSize;
  readonly reason: Exclude<ClaimReason, null>;
}

/**
 * Claims every declared size in one write transaction (see claimSize), with each series'
 * retention clock as the store has it. Returns the sizes whose record changed.
 */
export function claimSizes(db: Db, sizes: readonly DeclaredSize[]): ClaimedSize[] {
  const clockOf = db.prepare<[number], { t: number | null }>("SELECT max_event_time AS t FROM series WHERE id = ?");
  return db
    .transaction(() => {
      const records = readSizeRecords(db);
      const out: ClaimedSize[] = [];
      for (const size of sizes) {
        const reason = claimSize(db, size, records.get(`${size.seriesId}:${size.bucketMs}`), clockOf.get(size.seriesId)?.t ?? null);
        if (reason !== null) out.push({ size, reason });
      }
      return out;
    })
    .immediate();
}

/**
 * A backfill replaced the aligned range `[from, to)` with buckets that hold every row of
 * it: when the range reaches the part already filled, the filled part now starts at
 * `from` (null: from the beginning). A range that stops short of it leaves it alone, since
 * the rows between would still be missing. Must run inside the transaction that wrote the range.
 */
export function extendFilled(db: Db, seriesId: number, bucketMs: number, from: number | null, to: number): void {
  const row = db.prepare<[number, number], { filled_from: number | null }>("SELECT filled_from FROM series_sizes WHERE series_id = ? AND bucket_ms = ?").get(seriesId, bucketMs);
  if (row === undefined || row.filled_from === null || to < row.filled_from) return;
  if (from !== null && from >= row.filled_from) return;
  db.prepare("UPDATE series_sizes SET filled_from = ? WHERE series_id = ? AND bucket_ms = ?").run(from, seriesId, bucketMs);
}

function writeRecord(db: Db, size: DeclaredSize, filledFrom: number | null, reason: FillReason | null): void {
  db.prepare(
    "INSERT INTO series_sizes (series_id, bucket_ms, layout, filled_from, filled_reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET layout = excluded.layout, filled_from = excluded.filled_from, filled_reason = excluded.filled_reason",
  ).run(size.seriesId, size.bucketMs, size.signature, filledFrom, filledFrom === null ? null : reason);
}

/**
 * An offline-source backfill folded the source's rows of `[from, to)` into a size's
 * buckets: rows the row log does not hold. Must run inside the transaction that wrote them.
 */
export function noteOfflineRange(db: Db, seriesId: number, bucketMs: number, from: number, to: number): void {
  db.prepare(
    "UPDATE series_sizes SET offline_from = min(coalesce(offline_from, @from), @from), offline_to = max(coalesce(offline_to, @to), @to) WHERE series_id = @id AND bucket_ms = @bucketMs",
  ).run({ from, to, id: seriesId, bucketMs });
}

/**
 * A row-log backfill replaced the size's buckets of `[from, to)`: offline rows recorded
 * within it are gone from the buckets too, so the record no longer applies. Must run inside
 * the transaction that replaced them.
 */
export function clearOfflineWithin(db: Db, seriesId: number, bucketMs: number, from: number, to: number): void {
  db.prepare("UPDATE series_sizes SET offline_from = NULL, offline_to = NULL WHERE series_id = ? AND bucket_ms = ? AND offline_from >= ? AND offline_to <= ?").run(seriesId, bucketMs, from, to);
}

/**
 * Whether rows are logged in `[from, to)` for `namespace`: history a size's buckets do not
 * hold. One seek on the row log's time index.
 */
export function hasRowsIn(db: Db, namespace: string, from: number, to: number): boolean {
  return db.prepare<[string, number, number], { one: number }>("SELECT 1 AS one FROM rows WHERE namespace = ? AND ts >= ? AND ts < ? LIMIT 1").get(namespace, from, to) !== undefined;
}

interface Layout {
  readonly aggs: readonly string[];
  readonly anchor: number;
  readonly retention: number;
  /** bucketTimeZone and weekStart, recorded only when a zone is declared. */
  readonly zone?: string;
  readonly weekStart?: number;
}

/** A recorded layout signature (see series/layout-signature.ts); null for one of an older format. */
export function parseLayout(text: string): Layout | null {
  try {
    const parsed = JSON.parse(text) as Partial<Layout>;
    return Array.isArray(parsed.aggs) && typeof parsed.anchor === "number" && typeof parsed.retention === "number" ? (parsed as Layout) : null;
  } catch {
    return null;
  }
}

/** Buckets of one layout can be read as the other's: the same aggregations, anchor and zone. */
export function sameShape(a: Layout, b: Layout): boolean {
  return a.anchor === b.anchor && a.zone === b.zone && a.weekStart === b.weekStart && JSON.stringify(a.aggs) === JSON.stringify(b.aggs);
}

/** The anchor and calendar a recorded layout's buckets were filled on (store/unfolded-rows.ts aligns to them). */
export function layoutCalendar(layout: Layout | null): { anchor: number; calendar: BucketCalendar | null } {
  if (layout === null) return { anchor: 0, calendar: null };
  return { anchor: layout.anchor, calendar: typeof layout.zone === "string" ? { zone: layout.zone, weekStart: layout.weekStart ?? 1 } : null };
}
