import type { Row } from "../aggregate/types.js";
import { retentionCutoff, type CompiledSize } from "../series/compiled-series.js";
import { aggregatedValue, groupKeyOf, matchesFilter } from "../series/row-match.js";
import { BucketTable } from "../store/bucket-table.js";
import type { Db } from "../store/open-store.js";
import { parseRow, RowLog } from "../store/row-log.js";
import { advanceMaxEventTime, readSeries, recordLayout } from "../store/series-registry.js";
import { alignDown, bucketStart } from "../time/buckets.js";
import type { Target } from "./affected-series.js";
import { BucketBatch } from "./bucket-batch.js";
import type { NormalizedRow } from "./normalize-row.js";
import { recomputeBucket } from "./recompute-bucket.js";

/** What one committed batch did. */
export interface BatchResult {
  readonly inserted: number;
  readonly duplicates: number;
  readonly replaced: number;
  readonly bucketsWritten: number;
  readonly bucketsDeleted: number;
  readonly series: ReadonlySet<number>;
}

/**
 * Applies batches of rows of one namespace to the row log and the buckets of `targets`,
 * one IMMEDIATE transaction per batch: a crash loses whole batches only, and every
 * bucket's read-modify-write happens under the write lock, so concurrent ingests neither
 * lose nor double an update.
 */
export class BatchApplier {
  private readonly rowLog: RowLog;
  private readonly buckets: BucketTable;
  private readonly run;
  /** Retention cutoffs already applied by this run, per series and size. */
  private readonly applied = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly namespace: string,
    private readonly targets: readonly Target[],
  ) {
    this.rowLog = new RowLog(db);
    this.buckets = new BucketTable(db);
    this.run = db.transaction((rows: readonly NormalizedRow[]) => this.applyInTransaction(rows));
  }

  apply(rows: readonly NormalizedRow[]): BatchResult {
    return this.run.immediate(rows);
  }

  private applyInTransaction(rows: readonly NormalizedRow[]): BatchResult {
    const records = readSeries(this.db, this.targets.map((t) => t.series.def));
    // Retention's clock per series: the latest event time seen, read under the write lock.
    const before = this.targets.map((t) => records.get(t.series.def.identity)?.maxEventTime ?? null);
    const latest = [...before];
    const batch = new BucketBatch(this.buckets);
    let inserted = 0;
    let duplicates = 0;
    let replaced = 0;
    for (const { row, pk, ts, data } of rows) {
      const outcome = this.rowLog.upsert(this.namespace, pk, ts, data);
      this.targets.forEach((_, i) => (latest[i] = Math.max(latest[i] ?? ts, ts)));
      if (outcome.kind === "duplicate") {
        duplicates++;
      } else if (outcome.kind === "inserted") {
        inserted++;
        this.targets.forEach((target, i) => this.fold(batch, target, row, ts, latest[i] as number));
      } else {
        replaced++;
        // Old and new row's buckets are rebuilt from the log at flush: exact for every aggregation.
        for (const target of this.targets) {
          this.markRecompute(batch, target, parseRow(outcome.previous.data), outcome.previous.ts);
          this.markRecompute(batch, target, row, ts);
        }
      }
    }
    const cutoffOf = (target: Target, size: CompiledSize) => {
      const t = latest[this.targets.indexOf(target)];
      return t === null || t === undefined ? -Infinity : retentionCutoff(t, size);
    };
    const flushed = batch.flush(cutoffOf, (target, size, keys, start) => recomputeBucket(this.rowLog, target, size, keys, start));
    const series = new Set(flushed.series);
    let deleted = flushed.deleted;
    this.targets.forEach((target, i) => {
      const t = latest[i];
      if (t === null || t === undefined) return;
      if (t !== before[i]) advanceMaxEventTime(this.db, target.series.id, t);
      for (const size of target.sizes) deleted += this.dropStale(target, size, retentionCutoff(t, size), series);
    });
    // Every size this run keeps current has seen this batch, written to or not.
    for (const target of this.targets) for (const size of target.sizes) recordLayout(this.db, target.series.id, size.bucketMs, size.signature);
    return { inserted, duplicates, replaced, bucketsWritten: flushed.written, bucketsDeleted: deleted, series };
  }

  private fold(batch: BucketBatch, target: Target, row: Row, ts: number, latest: number): void {
    const def = target.series.def;
    if (!matchesFilter(def.filter, row)) return;
    const keys = groupKeyOf(def, row);
    if (keys === null) return; // logged, but in no bucket of this series
    const keyText = keys.length === 1 ? (keys[0] as string) : JSON.stringify(keys);
    const value = aggregatedValue(def, row);
    for (const size of target.sizes) {
      const start = bucketStart(ts, size.bucketMs, def.anchor);
      // Past retention: logged, but it creates no bucket (SPEC 3).
      if (start + size.bucketMs <= retentionCutoff(latest, size)) continue;
      batch.add(target, size, keys, keyText, start, value, row);
    }
  }

  private markRecompute(batch: BucketBatch, target: Target, row: Row, ts: number): void {
    const def = target.series.def;
    const keys = groupKeyOf(def, row);
    if (keys === null || !matchesFilter(def.filter, row)) return;
    const keyText = keys.length === 1 ? (keys[0] as string) : JSON.stringify(keys);
    for (const size of target.sizes) batch.markRecompute(target, size, keys, keyText, bucketStart(ts, size.bucketMs, def.anchor));
  }

  /**
   * Deletes buckets that fell out of retention. Bucket ends are bucket boundaries, so a
   * delete can only find something once the cutoff passes a new boundary; until then the
   * scan is skipped (it reads every bucket of the size). The first batch always scans.
   */
  private dropStale(target: Target, size: CompiledSize, cutoff: number, series: Set<number>): number {
    const id = `${target.series.id}:${size.bucketMs}`;
    const previous = this.applied.get(id);
    if (previous !== undefined && alignDown(cutoff, size.bucketMs, target.series.def.anchor) <= previous) return 0;
    const deleted = this.buckets.deleteEndingBy(target.series.id, size.bucketMs, cutoff);
    this.applied.set(id, cutoff);
    if (deleted > 0) series.add(target.series.id);
    return deleted;
  }
}
