import type { Db } from "../store/open-store.js";
import { BucketTable } from "../store/bucket-table.js";
import { recordLayout, setMaterializedThrough } from "../store/series-registry.js";
import { tuneForWrites } from "../store/tune-for-writes.js";
import { alignDown, alignUp } from "../time/buckets.js";
import type { PlanItem } from "./plan-backfill.js";
import { replaceChunk } from "./replace-chunk.js";
import type { RowSource } from "./row-source.js";

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
  /** Called for each stored bucket of the ranges read whose state fails its checksum (it is rewritten). */
  readonly onDamaged?: (seriesId: number, bucketMs: number, keys: readonly string[], start: number) => void;
}

const CHUNK_ROWS = 20_000;
const FAR = Number.MAX_SAFE_INTEGER;
/** Sizes share a pass while one chunk boundary grid fits them all and is at most this long. */
const MAX_PERIOD = 7 * 86_400_000;

/**
 * Runs a plan. The items of one source are replaced in passes that read the source once
 * for all their (series, size) pairs: chunks aligned to every size of the pass, newest
 * first, each of about `chunkRows` rows in its own IMMEDIATE transaction that reads the
 * rows, folds them into every item, and replaces the chunk's buckets (writing those that
 * changed, deleting those that are gone). Concurrent ingest serializes with those
 * transactions, so a row is counted once:
 * rows committed before a chunk are read by it, rows committed after update the new
 * buckets. A size whose layout changed is rebuilt in one transaction instead (see
 * `reshape`). When every item is done, one more transaction per series records their
 * layouts and the materialized-through time.
 */
export async function runBackfill(db: Db, plan: readonly PlanItem[], totals: BackfillTotals, options: RunOptions = {}): Promise<void> {
  const table = new BucketTable(db, options.onDamaged);
  tuneForWrites(db);
  let reported = 0;
  const onRows = (count: number): void => {
    totals.rows += count;
    if (totals.rows - reported >= 2_000) options.onRows?.((reported = totals.rows));
  };
  for (const item of plan) {
    if (!item.reshape) continue;
    options.signal?.throwIfAborted();
    totals.buckets += db.transaction(() => reshape(db, table, item, onRows)).immediate();
    options.onRows?.(totals.rows);
  }
  for (const pass of passes(plan.filter((item) => !item.reshape && item.range !== null))) {
    for (const [from, to] of chunks(pass, options.chunkRows ?? CHUNK_ROWS)) {
      options.signal?.throwIfAborted();
      totals.buckets += db.transaction(() => replaceChunk(db, table, pass.items, pass.source, from, to, onRows)).immediate();
      options.onRows?.(totals.rows);
      // Let timers, progress and signals run between transactions.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (const group of bySeries(plan)) {
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
function reshape(db: Db, table: BucketTable, item: PlanItem, onRows: (count: number) => void): number {
  const { id } = item.series;
  const range = item.range ?? { lower: FAR, upper: FAR };
  const written = item.range === null ? 0 : replaceChunk(db, table, [item], item.source, range.lower, range.upper, onRows);
  table.deleteRange(id, item.size.bucketMs, -FAR, range.lower);
  table.deleteRange(id, item.size.bucketMs, range.upper, FAR);
  recordLayout(db, id, item.size.bucketMs, item.size.signature);
  return written;
}

/** Items of one source whose sizes share a grid of chunk boundaries: `period` apart from `anchor`. */
interface Pass {
  readonly source: RowSource;
  readonly anchor: number;
  period: number;
  readonly items: PlanItem[];
  /** The items' ranges together, aligned to the period. */
  range: { lower: number; upper: number };
  rows: number;
  readonly size: { bucketMs: number };
}

/**
 * Groups items into passes: same source and anchor, and a common period (the least
 * common multiple of their sizes) of at most MAX_PERIOD, or one size dividing the other.
 * Epoch-anchored 10m, 1h and 1d buckets make one pass with a one-day grid.
 */
export function passes(items: readonly PlanItem[]): Pass[] {
  const out: Pass[] = [];
  for (const item of [...items].sort((a, b) => a.size.bucketMs - b.size.bucketMs)) {
    const range = item.range!;
    const anchor = item.series.def.anchor;
    const size = item.size.bucketMs;
    const pass = out.find((p) => {
      if (p.source !== item.source || p.anchor !== anchor) return false;
      const period = lcm(p.period, size);
      return period <= MAX_PERIOD || period === Math.max(p.period, size);
    });
    if (pass === undefined) {
      out.push({ source: item.source, anchor, period: size, items: [item], range: { ...range }, rows: item.rows, size: { bucketMs: size } });
      continue;
    }
    pass.items.push(item);
    pass.period = lcm(pass.period, size);
    pass.size.bucketMs = pass.period;
    pass.range = { lower: Math.min(pass.range.lower, range.lower), upper: Math.max(pass.range.upper, range.upper) };
    pass.rows = Math.max(pass.rows, item.rows);
  }
  for (const pass of out) pass.range = { lower: alignDown(pass.range.lower, pass.period, pass.anchor), upper: alignUp(pass.range.upper, pass.period, pass.anchor) };
  return out;
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** Records what the series' buckets now hold and how far they are filled. */
function finishSeries(db: Db, group: readonly PlanItem[]): void {
  const id = group[0]!.series.id;
  for (const item of group) recordLayout(db, id, item.size.bucketMs, item.size.signature);
  // Every size is filled through the smallest of their (differently aligned) upper ends.
  const uppers = group.flatMap((item) => (item.range === null ? [] : [item.range.upper]));
  if (uppers.length > 0) setMaterializedThrough(db, id, Math.min(...uppers));
}

/** Bucket-aligned `[from, to)` chunks of an item's (or a pass's) range, newest first. */
export function chunks(item: { readonly range: PlanItem["range"]; readonly rows: number; readonly size: { readonly bucketMs: number } }, chunkRows: number): Array<[number, number]> {
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
