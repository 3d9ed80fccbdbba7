import type { BucketState, Row } from "../aggregate/types.js";
import { retentionCutoff } from "../series/compiled-series.js";
import { bucketOf, foldRow, type FoldedStates } from "../series/fold-row.js";
import type { BucketRecord, BucketTable } from "../store/sqlite/bucket-table.js";
import type { Db } from "../store/sqlite/open-store.js";
import { parseRow, rowsForKeys, type RowLog } from "../store/sqlite/row-log.js";
import type { OpenBucket } from "./bucket-cache.js";
import { keysOfText } from "../series/key-text.js";
import type { SeriesSlot, SizeSlot } from "./series-slot.js";

/** The buckets of one (series, size) a transaction marked for recompute, by start and key text. */
interface Deferred {
  readonly series: SeriesSlot;
  readonly slot: SizeSlot;
  /** The row log's per-key index on the series' first key finds its rows. */
  readonly indexed: boolean;
  readonly starts: Map<number, Map<string, OpenBucket>>;
}

/** What rebuilding the deferred buckets wrote. */
export interface Recomputed {
  readonly written: number;
  readonly deleted: number;
  readonly series: readonly number[];
}

/**
 * The buckets a write transaction must rebuild from the row log because a row in them
 * was replaced (min, max and sketches cannot take a value back out). They are rebuilt
 * once, when the transaction commits, however many of its slices touched them, and with
 * as few reads as possible: the bucket ranges of every (series, size) are merged into
 * disjoint spans of time, each read once, every row parsed once and given to every
 * bucket that holds it. A series whose first key the row log indexes reads its
 * entities' rows instead (one statement per size). Until then a slice leaves such a
 * bucket alone, or writes it with the rows it saw; the rebuild at commit replaces that.
 */
export class RecomputeQueue {
  private readonly pending = new Map<SizeSlot, Deferred>();

  /** Marks `bucket` (of a slice of the open transaction) to be rebuilt at commit. */
  defer(series: SeriesSlot, slot: SizeSlot, bucket: OpenBucket, indexed: boolean): void {
    let deferred = this.pending.get(slot);
    if (deferred === undefined) this.pending.set(slot, (deferred = { series, slot, indexed, starts: new Map() }));
    let keys = deferred.starts.get(bucket.start);
    if (keys === undefined) deferred.starts.set(bucket.start, (keys = new Map()));
    if (!keys.has(bucket.keyText)) keys.set(bucket.keyText, bucket);
  }

  /** Forgets every deferred bucket (the transaction was rolled back). */
  clear(): void {
    this.pending.clear();
  }

  /**
   * Rebuilds, writes or deletes every deferred bucket, in the open transaction, and
   * forgets them. A bucket past its size's retention cutoff, or with no logged row left,
   * is deleted.
   */
  flush(db: Db, rowLog: RowLog, buckets: BucketTable, namespace: string): Recomputed {
    const list = [...this.pending.values()];
    this.pending.clear();
    if (list.length === 0) return { written: 0, deleted: 0, series: [] };
    let deleted = 0;
    const series = new Set<number>();
    const live: Deferred[] = [];
    for (const d of list) {
      const cutoff = d.series.latest === null ? -Infinity : retentionCutoff(d.series.latest, d.slot.size);
      for (const [start, keys] of d.starts) {
        if (d.slot.size.grid.end(start) > cutoff) continue;
        d.starts.delete(start);
        for (const bucket of keys.values()) deleted += drop(buckets, d, bucket, series);
      }
      if (d.starts.size > 0) live.push(d);
    }
    const states = rebuild(db, rowLog, namespace, live);
    let written = 0;
    for (const d of live) {
      const { id, def } = d.series.target.series;
      const { bucketMs, layout } = d.slot.size;
      const rebuilt = states.get(d)!;
      const writes: BucketRecord[] = [];
      for (const [start, keys] of d.starts) {
        for (const bucket of keys.values()) {
          const state = rebuilt.get(start)?.get(bucket.keyText)?.state;
          if (state === undefined) {
            deleted += drop(buckets, d, bucket, series);
            continue;
          }
          writes.push({ keys: keysOfText(bucket.keyText, def.groupKeys.length), start, rows: layout.rows(state), state: layout.encode(state) });
          d.slot.cache.settle(bucket, true);
        }
      }
      buckets.putMany(id, bucketMs, writes);
      written += writes.length;
      if (writes.length > 0) series.add(id);
    }
    return { written, deleted, series: [...series] };
  }
}

/** Deletes a bucket that holds no row any more (or fell out of retention). */
function drop(buckets: BucketTable, d: Deferred, bucket: OpenBucket, series: Set<number>): number {
  const { id, def } = d.series.target.series;
  const gone = buckets.delete(id, d.slot.size.bucketMs, keysOfText(bucket.keyText, def.groupKeys.length), bucket.start);
  if (gone > 0) series.add(id);
  d.slot.cache.settle(bucket, false);
  return gone;
}

type States = FoldedStates<{ readonly state: BucketState }>;

/**
 * The states of the deferred buckets, rebuilt from the row log, per start and key text;
 * a key with no logged row is absent. Rows reach each bucket oldest first (time, then
 * primary key), as a read of that bucket alone gives them.
 */
function rebuild(db: Db, rowLog: RowLog, namespace: string, list: readonly Deferred[]): Map<Deferred, States> {
  const out = new Map<Deferred, States>();
  for (const d of list) out.set(d, new Map());
  const byTime = list.filter((d) => !d.indexed);
  for (const span of mergedSpans(byTime)) {
    // Nothing but this read runs on the connection until it ends (the writes come after).
    for (const logged of rowLog.range(namespace, span.from, span.to)) give(logged.ts, logged.data, byTime, out);
  }
  for (const d of list) {
    if (!d.indexed) continue;
    const feature = d.series.target.series.def.groupKeys[0]!;
    const values = new Set<string>();
    let from = Infinity;
    let to = -Infinity;
    for (const [start, keys] of d.starts) {
      from = Math.min(from, start);
      to = Math.max(to, d.slot.size.grid.end(start));
      for (const keyText of keys.keys()) values.add(keysOfText(keyText, d.series.target.series.def.groupKeys.length)[0]!);
    }
    const one = [d];
    for (const logged of rowsForKeys(db, namespace, feature, [...values], from, to)) give(logged.ts, logged.data, one, out);
  }
  return out;
}

/** Folds one logged row into every deferred bucket that holds it; parses it only if one may. */
function give(ts: number, data: string, list: readonly Deferred[], out: Map<Deferred, States>): void {
  let row: Row | undefined;
  for (const d of list) {
    const { size } = d.slot;
    const def = d.series.target.series.def;
    const keys = d.starts.get(bucketOf(size, ts));
    if (keys === undefined) continue;
    row ??= parseRow(data);
    foldRow(out.get(d)!, def, size, ts, row, () => ({ state: size.layout.empty() }), (_, keyText) => keys.has(keyText));
  }
}

/** The bucket ranges `[start, start + bucket)` of every deferred bucket, merged into disjoint spans, oldest first. */
function mergedSpans(list: readonly Deferred[]): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  for (const d of list) for (const start of d.starts.keys()) ranges.push({ from: start, to: d.slot.size.grid.end(start) });
  ranges.sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}
