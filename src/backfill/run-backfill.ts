import type { Db } from "../store/open-store.js";
import { BucketTable } from "../store/bucket-table.js";
import { recordLayout, setMaterializedThrough } from "../store/series-registry.js";
import type { PlanItem } from "./plan-backfill.js";
import { replaceChunk } from "./replace-chunk.js";

/** Rows read and buckets written so far; kept up to date while a backfill runs. */
export interface BackfillTotals {
  rows: number;
  buckets: number;
}

export interface RunOptions {
  /** Called as rows are read, with the running total. */
  readonly onRows?: (rowsRead: number) => void;
  /** Checked between chunks: an aborted backfill stops there and throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** About how many source rows one transaction reads. */
  readonly chunkRows?: number;
}

const CHUNK_ROWS = 50_000;
const FAR = Number.MAX_SAFE_INTEGER;

/**
 * Runs a plan. Each (series, size) range is replaced newest chunk first, each chunk of
 * about `chunkRows` rows in its own IMMEDIATE transaction that reads the source, folds,
 * deletes the chunk's old buckets and writes the new ones. Concurrent ingest serializes
 * with those transactions, so a row is counted once: rows committed before a chunk are
 * read by it, rows committed after update the new buckets. A size whose layout changed
 * is rebuilt in one transaction instead (see `reshape`). When all sizes of a series are
 * done, one more transaction records their layouts and the materialized-through time.
 */
export async function runBackfill(db: Db, plan: readonly PlanItem[], totals: BackfillTotals, options: RunOptions = {}): Promise<void> {
  const table = new BucketTable(db);
  const onRow = (): void => {
    totals.rows++;
    if (totals.rows % 2_000 === 0) options.onRows?.(totals.rows);
  };
  for (const group of bySeries(plan)) {
    for (const item of group) {
      if (item.reshape) {
        options.signal?.throwIfAborted();
        totals.buckets += db.transaction(() => reshape(db, table, item, onRow)).immediate();
        options.onRows?.(totals.rows);
        continue;
      }
      for (const [from, to] of chunks(item, options.chunkRows ?? CHUNK_ROWS)) {
        options.signal?.throwIfAborted();
        totals.buckets += db.transaction(() => replaceChunk(db, table, item, from, to, onRow)).immediate();
        options.onRows?.(totals.rows);
        // Let timers, progress and signals run between transactions.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    options.signal?.throwIfAborted();
    db.transaction(() => finishSeries(db, group)).immediate();
  }
}

/**
 * Rebuilds a size whose stored buckets have another layout, in ONE transaction: while
 * the old layout is recorded, ingest leaves the size alone (it cannot add to states of
 * another shape), so a rebuild in several commits would miss rows ingested between
 * them. Old buckets outside the data range are deleted: they cannot be read any more.
 */
function reshape(db: Db, table: BucketTable, item: PlanItem, onRow: () => void): number {
  const { id } = item.series;
  const range = item.range ?? { lower: FAR, upper: FAR };
  const written = item.range === null ? 0 : replaceChunk(db, table, item, range.lower, range.upper, onRow);
  table.deleteRange(id, item.size.bucketMs, -FAR, range.lower);
  table.deleteRange(id, item.size.bucketMs, range.upper, FAR);
  recordLayout(db, id, item.size.bucketMs, item.size.signature);
  return written;
}

/** Records what the series' buckets now hold and how far they are filled. */
function finishSeries(db: Db, group: readonly PlanItem[]): void {
  const id = group[0]!.series.id;
  for (const item of group) recordLayout(db, id, item.size.bucketMs, item.size.signature);
  // Every size is filled through the smallest of their (differently aligned) upper ends.
  const uppers = group.flatMap((item) => (item.range === null ? [] : [item.range.upper]));
  if (uppers.length > 0) setMaterializedThrough(db, id, Math.min(...uppers));
}

/** Bucket-aligned `[from, to)` chunks of an item's range, newest first. */
export function chunks(item: Pick<PlanItem, "range" | "rows" | "size">, chunkRows: number): Array<[number, number]> {
  if (item.range === null) return [];
  const { lower, upper } = item.range;
  const size = item.size.bucketMs;
  const buckets = (upper - lower) / size;
  const perChunk = item.rows <= chunkRows ? buckets : Math.max(1, Math.floor((buckets * chunkRows) / item.rows));
  const out: Array<[number, number]> = [];
  for (let to = upper; to > lower; to -= perChunk * size) out.push([Math.max(lower, to - perChunk * size), to]);
  return out;
}

function bySeries(plan: readonly PlanItem[]): PlanItem[][] {
  const groups = new Map<number, PlanItem[]>();
  for (const item of plan) groups.set(item.series.id, [...(groups.get(item.series.id) ?? []), item]);
  return [...groups.values()];
}
