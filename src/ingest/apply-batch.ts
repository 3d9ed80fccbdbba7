import type { Row } from "../aggregate/types.js";
import { retentionCutoff } from "../series/compiled-series.js";
import { bucketOf, landingKey } from "../series/fold-row.js";
import { aggregatedValue } from "../series/row-match.js";
import { BucketTable, type BucketRecord } from "../store/sqlite/bucket-table.js";
import type { Db } from "../store/sqlite/open-store.js";
import { ensureRowKeyIndexes, parseRow, RowLog } from "../store/sqlite/row-log.js";
import { sqliteTransactions } from "../store/sqlite/sqlite-transactions.js";
import type { StoreTransactions } from "../store/store-port.js";
import { advanceMaxEventTime, readSeries, storedLayouts } from "../store/series-registry.js";
import { claimSize } from "../store/size-state.js";
import { advanceMaterializedThrough, recordUnfolded } from "../store/unfolded-rows.js";
import { sizesToUpdate, type NeedsBackfill, type Target } from "./affected-series.js";
import { SizeCache } from "./bucket-cache.js";
import { keysOfText } from "../series/key-text.js";
import { loadStoredStates } from "./load-stored-states.js";
import type { NormalizedRow } from "./normalize-row.js";
import { RecomputeQueue } from "./recompute-buckets.js";
import { CACHE_LIMIT, evictOldest, type SeriesSlot, type SizeSlot } from "./series-slot.js";

/** What one committed batch did. */
export interface BatchResult {
  readonly inserted: number;
  readonly duplicates: number;
  readonly replaced: number;
  readonly bucketsWritten: number;
  readonly bucketsDeleted: number;
  readonly series: ReadonlySet<number>;
  /** Rows logged but older than some size's retention, so in no bucket of it. */
  readonly pastRetention: PastRetention;
}

/** A count of rows and the span of their event times; `from` is Infinity when there are none. */
export interface PastRetention {
  rows: number;
  from: number;
  to: number;
}

/**
 * Buckets a transaction holds in memory before it writes them (it writes them all at its
 * commit otherwise): bounds memory whatever the batch size, at about 3 KB of heap per
 * open bucket on the benchmark (a transaction of 50,000 messages there opens ~90,000).
 */
export const OPEN_LIMIT = 50_000;

interface Tally {
  inserted: number;
  duplicates: number;
  replaced: number;
  bucketsWritten: number;
  bucketsDeleted: number;
  series: Set<number>;
  /** Event times of the rows the transaction logged or replaced (both versions), while some size is not folded into. */
  changed: number[];
  pastRetention: PastRetention;
}

/**
 * Applies batches of rows of one namespace to the row log and the buckets of `targets`,
 * one IMMEDIATE transaction per batch (given in slices, see `apply`): a crash loses whole
 * batches only, and every bucket's read-modify-write happens under the write lock, so
 * concurrent ingests neither lose nor double an update.
 *
 * Between batches it remembers which recent buckets exist (SizeCache), so a bucket that
 * cannot exist yet needs no read; the reads that remain are one primary-key lookup per
 * bucket (loadStoredStates). That knowledge is exact only while this connection is the store's only writer,
 * so each batch first asks the store whether another connection has committed since
 * (its change token, under the write lock); if one has, the cache, the series
 * clocks and the recorded layouts are read again, and a size that another process
 * re-filled for another definition is left alone from that batch on.
 */
export class BatchApplier {
  private readonly tx: StoreTransactions;
  private readonly rowLog: RowLog;
  private readonly buckets: BucketTable;
  private readonly slots: SeriesSlot[];
  /** What the open transaction did so far; null when none is open. */
  private open: Tally | null = null;
  private readonly stale = new Map<string, NeedsBackfill>();
  /** The store's change token when the cache was last known to match the store. */
  private version: number | null = null;
  /** Some recorded size over the namespace is not folded into by this run (read by sync). */
  private unfolded = false;
  private readonly indexedKeys: Set<string>;
  private readonly onDemandKeys: ReadonlySet<string>;
  /** Buckets of the open transaction to rebuild from the row log when it commits. */
  private readonly recomputes = new RecomputeQueue();

  constructor(
    private readonly db: Db,
    private readonly namespace: string,
    targets: readonly Target[],
    /** First group keys the row log has a per-key index on (ensureRowKeyIndexes), and those to index when a rebuild first needs it (rowKeyFeatures). */
    rowKeys: { readonly indexed: ReadonlySet<string>; readonly onDemand: ReadonlySet<string> } = { indexed: new Set(), onDemand: new Set() },
    private readonly cacheLimit = CACHE_LIMIT,
    private readonly openLimit = OPEN_LIMIT,
  ) {
    this.indexedKeys = new Set(rowKeys.indexed);
    this.onDemandKeys = rowKeys.onDemand;
    this.tx = sqliteTransactions(db);
    this.rowLog = new RowLog(db);
    this.buckets = new BucketTable(db);
    this.slots = targets.map((target) => {
      const sizes = target.series.sizes.map((size) => ({ size, cache: new SizeCache(size.bucketMs), applied: null, toLoad: [], touched: [] }));
      return { target, sizes, active: sizes.filter((s) => target.sizes.includes(s.size)), clock: null, latest: null };
    });
  }

  /**
   * Applies rows in the open write transaction, beginning one (BEGIN IMMEDIATE) when none
   * is: the caller applies a batch in slices, so memory holds one slice of rows. The
   * buckets they change stay open until the commit (or until more than `openLimit` are open), so a
   * bucket that several slices touch is read and written once per transaction. On an
   * error the transaction is rolled back.
   */
  apply(rows: readonly NormalizedRow[]): void {
    try {
      if (this.open === null) {
        this.tx.begin();
        this.open = { inserted: 0, duplicates: 0, replaced: 0, bucketsWritten: 0, bucketsDeleted: 0, series: new Set(), changed: [], pastRetention: { rows: 0, from: Infinity, to: -Infinity } };
        this.sync();
      }
      this.applySlice(rows, this.open);
      let open = 0;
      for (const s of this.slots) for (const slot of s.active) open += slot.touched.length;
      if (open > this.openLimit) {
        const flushed = this.flush(this.open.series);
        this.open.bucketsWritten += flushed.written;
        this.open.bucketsDeleted += flushed.deleted;
      }
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  /** Commits the open transaction (if any) and returns what it did. */
  commit(): BatchResult {
    const done = this.open ?? { inserted: 0, duplicates: 0, replaced: 0, bucketsWritten: 0, bucketsDeleted: 0, series: new Set<number>(), changed: [], pastRetention: { rows: 0, from: Infinity, to: -Infinity } };
    if (this.open === null) return done;
    try {
      const flushed = this.flush(done.series);
      done.bucketsWritten += flushed.written;
      done.bucketsDeleted += flushed.deleted;
      const rebuilt = this.recomputes.flush(this.db, this.rowLog, this.buckets, this.namespace);
      done.bucketsWritten += rebuilt.written;
      done.bucketsDeleted += rebuilt.deleted;
      for (const id of rebuilt.series) done.series.add(id);
      // Sizes over the namespace this run does not fold into do not hold these rows: say so.
      if (this.unfolded) recordUnfolded(this.db, this.namespace, done.changed, this.foldedSizes());
      this.tx.commit();
      this.open = null;
      return done;
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  private rollback(): void {
    this.open = null;
    this.recomputes.clear();
    // The cache may hold changes the store does not have any more.
    this.version = null;
    this.tx.rollback();
  }

  /** Sizes found filled for another definition during the run (besides those known at its start). */
  needsBackfill(): NeedsBackfill[] {
    return [...this.stale.values()];
  }

  /** `seriesId:bucketMs` of every size this run folds rows into. */
  private foldedSizes(): Set<string> {
    return new Set(this.slots.flatMap((s) => s.active.map((slot) => `${s.target.series.id}:${slot.size.bucketMs}`)));
  }

  private applySlice(rows: readonly NormalizedRow[], tally: Tally): void {
    for (const s of this.slots) s.latest = s.clock;
    for (const { row, pk, ts, data } of rows) {
      const outcome = this.rowLog.upsert(this.namespace, pk, ts, data);
      if (this.unfolded && outcome.kind !== "duplicate") {
        tally.changed.push(ts);
        if (outcome.kind === "replaced") tally.changed.push(outcome.previous.ts);
      }
      for (const s of this.slots) if (s.latest === null || ts > s.latest) s.latest = ts;
      if (outcome.kind === "inserted") {
        tally.inserted++;
        let past = false;
        for (const s of this.slots) if (s.active.length > 0 && this.fold(s, row, ts)) past = true;
        if (past) {
          tally.pastRetention.rows++;
          tally.pastRetention.from = Math.min(tally.pastRetention.from, ts);
          tally.pastRetention.to = Math.max(tally.pastRetention.to, ts);
        }
      } else if (outcome.kind === "duplicate") {
        tally.duplicates++;
      } else {
        tally.replaced++;
        // Old and new row's buckets are rebuilt from the log at flush: exact for every aggregation.
        const previous = parseRow(outcome.previous.data);
        for (const s of this.slots) {
          this.markRecompute(s, previous, outcome.previous.ts);
          this.markRecompute(s, row, ts);
        }
      }
    }
    for (const slot of this.slots) loadStoredStates(this.buckets, slot);
    for (const s of this.slots) {
      if (s.active.length === 0 || s.latest === null) continue;
      if (s.latest !== s.clock) {
        advanceMaxEventTime(this.db, s.target.series.id, s.latest);
        // Its buckets now hold every row up to the newest folded one (SPEC 3).
        advanceMaterializedThrough(this.db, s.target.series.id, s.latest + 1);
      }
      s.clock = s.latest;
      for (const slot of s.active) tally.bucketsDeleted += this.dropStale(s, slot, tally.series);
    }
    evictOldest(this.slots, this.cacheLimit);
  }

  /**
   * Under the write lock: if another connection committed since this one last did, what
   * the cache, the clocks and the layouts say may be stale, so read them again.
   */
  private sync(): void {
    const version = this.tx.changeToken();
    if (version === this.version) return;
    this.version = version;
    const layouts = storedLayouts(this.db);
    const records = readSeries(
      this.db,
      this.slots.map((s) => s.target.series.def),
    );
    for (const s of this.slots) {
      const { id, def } = s.target.series;
      const { sizes, stale } = sizesToUpdate(s.target.series, layouts);
      for (const n of stale) this.stale.set(`${n.series}:${n.bucket}`, n);
      s.active = s.sizes.filter((slot) => sizes.includes(slot.size));
      s.clock = records.get(def.identity)?.maxEventTime ?? null;
      for (const slot of s.active) {
        // A size nothing recorded yet (the CLI's session claims them first): from here on this run keeps it current.
        if (!layouts.has(`${id}:${slot.size.bucketMs}`)) claimSize(this.db, { seriesId: id, namespace: def.namespace, anchor: def.anchor, calendar: def.calendar, ...slot.size }, undefined, s.clock);
      }
      for (const slot of s.sizes) {
        slot.cache.reset(this.buckets.newestStart(id, slot.size.bucketMs));
        slot.applied = null;
        slot.toLoad = [];
        slot.touched = [];
      }
    }
    const folded = this.foldedSizes();
    this.unfolded = this.db
      .prepare<[string], { series_id: number; bucket_ms: number }>("SELECT series_id, bucket_ms FROM series_sizes WHERE series_id IN (SELECT id FROM series WHERE namespace = ?)")
      .all(this.namespace)
      .some((r) => !folded.has(`${r.series_id}:${r.bucket_ms}`));
  }

  /** Folds a new row into the series' active sizes; true when retention kept it out of one of them. */
  private fold(s: SeriesSlot, row: Row, ts: number): boolean {
    const def = s.target.series.def;
    const keyText = landingKey(def, row);
    if (keyText === null) return false; // logged, but in no bucket of this series
    let past = false;
    const value = aggregatedValue(def, row);
    const latest = s.latest as number;
    for (const slot of s.active) {
      const { layout } = slot.size;
      const start = bucketOf(slot.size, ts);
      // Past retention: logged, but it creates no bucket (SPEC 3); reported.
      if (slot.size.grid.end(start) <= retentionCutoff(latest, slot.size)) {
        past = true;
        continue;
      }
      let bucket = slot.cache.get(start, keyText);
      if (bucket === undefined) {
        bucket = slot.cache.openBucket(start, keyText);
        slot.touched.push(bucket);
        if (!bucket.loaded) slot.toLoad.push(bucket);
      }
      if (bucket.recompute) continue; // rebuilt from the row log, this row included
      if (bucket.loaded) layout.add((bucket.state ??= layout.empty()), value, row);
      else bucket.pending!.push(value, row);
    }
    return past;
  }

  /** The buckets of `row` will be rebuilt from the row log at flush (a row in them was replaced). */
  private markRecompute(s: SeriesSlot, row: Row, ts: number): void {
    if (s.active.length === 0) return;
    const def = s.target.series.def;
    const keyText = landingKey(def, row);
    if (keyText === null) return;
    for (const slot of s.active) {
      const start = bucketOf(slot.size, ts);
      let bucket = slot.cache.get(start, keyText);
      if (bucket === undefined) {
        bucket = slot.cache.openBucket(start, keyText);
        slot.touched.push(bucket);
      }
      bucket.recompute = true;
      bucket.state = null;
      bucket.pending = null;
    }
  }

  /**
   * Writes every bucket the transaction changed since the last flush, once: at commit, or
   * sooner when more than `openLimit` buckets are open. A bucket that ends at or before its
   * size's retention cutoff is deleted instead of written.
   */
  private flush(series: Set<number>): { written: number; deleted: number } {
    let written = 0;
    let deleted = 0;
    for (const s of this.slots) {
      const { id } = s.target.series;
      const keyCount = s.target.series.def.groupKeys.length;
      for (const slot of s.active) {
        if (slot.touched.length === 0) continue;
        const { bucketMs, layout, grid } = slot.size;
        const cutoff = s.latest === null ? -Infinity : retentionCutoff(s.latest, slot.size);
        const first = s.target.series.def.groupKeys[0]!;
        const writes: BucketRecord[] = [];
        for (const bucket of slot.touched) {
          const stale = grid.end(bucket.start) <= cutoff;
          // Unknown (never read) counts as maybe stored; a bucket this batch created is not.
          const maybeStored = bucket.stored || !bucket.loaded;
          if (bucket.recompute) {
            if (s.target.keyed && this.onDemandKeys.has(first) && !this.indexedKeys.has(first)) {
              // A long bucket is rebuilt by entity: index the row log by this key now (once).
              ensureRowKeyIndexes(this.db, this.namespace, [first]);
              this.indexedKeys.add(first);
            }
            // Rebuilt once when the transaction commits, for all its slices (recompute-buckets.ts).
            this.recomputes.defer(s, slot, bucket, s.target.keyed && this.indexedKeys.has(first));
            continue;
          }
          if (stale) bucket.state = null;
          if (bucket.state === null) {
            const gone = maybeStored ? this.buckets.delete(id, bucketMs, keysOfText(bucket.keyText, keyCount), bucket.start) : 0;
            deleted += gone;
            if (gone > 0) series.add(id);
            slot.cache.settle(bucket, false);
            continue;
          }
          writes.push({ keys: keysOfText(bucket.keyText, keyCount), start: bucket.start, rows: layout.rows(bucket.state), state: layout.encode(bucket.state) });
          slot.cache.settle(bucket, true);
        }
        this.buckets.putMany(id, bucketMs, writes);
        written += writes.length;
        if (writes.length > 0) series.add(id);
        slot.touched = [];
        slot.cache.closeSlice();
      }
    }
    return { written, deleted };
  }

  /**
   * Deletes buckets that fell out of retention. Bucket ends are bucket boundaries, so a
   * delete can only find something once the cutoff passes a new boundary; until then it
   * is skipped. The first batch after a cache reset always deletes.
   */
  private dropStale(s: SeriesSlot, slot: SizeSlot, series: Set<number>): number {
    const { bucketMs, grid } = slot.size;
    const cutoff = retentionCutoff(s.latest as number, slot.size);
    // Stale: the buckets ending at or before the cutoff, which are those starting before the bucket holding it.
    const firstKept = grid.alignDown(cutoff);
    if (slot.applied !== null && firstKept <= slot.applied) return 0;
    const deleted = this.buckets.deleteRange(s.target.series.id, bucketMs, -Number.MAX_SAFE_INTEGER, firstKept);
    slot.cache.dropThrough(firstKept - 1);
    slot.applied = cutoff;
    if (deleted > 0) series.add(s.target.series.id);
    return deleted;
  }
}

