import type { Db } from "../store/sqlite/open-store.js";
import { sqliteTransactions } from "../store/sqlite/sqlite-transactions.js";
import { BucketTable } from "../store/sqlite/bucket-table.js";
import { clearOfflineWithin, extendFilled, noteOfflineRange } from "../store/size-state.js";
import { abandonRefold, advanceMaterializedThrough, beginRefold, continueRefold, finishRefold, type UnfoldedSpan } from "../store/unfolded-rows.js";
import { processStart, processState } from "./process-alive.js";
import { tuneForWrites } from "../store/sqlite/tune-for-writes.js";
import { bucketGrid, gridOf, type BucketGrid } from "../time/bucket-grid.js";
import type { PlanItem } from "./plan-backfill.js";
import { replaceChunk } from "./replace-chunk.js";
import { ROW_LOG, type RowSource } from "./row-source.js";

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
  /** Runs inside each chunk's transaction with the totals once it commits (the job's record). */
  readonly onCommit?: (totals: BackfillTotals) => void;
  /** Called for each stored bucket of the ranges read whose state fails its checksum (it is rewritten). */
  readonly onDamaged?: (seriesId: number, bucketMs: number, keys: readonly string[], start: number) => void;
}

const CHUNK_ROWS = 20_000;
/** Sizes share a pass while one chunk boundary grid fits them all and is at most this long. */
const MAX_PERIOD = 7 * 86_400_000;

/**
 * Runs a plan. The items of one source are replaced in passes that read the source once
 * for all their (series, size) pairs: chunks aligned to every size of the pass, newest
 * first, each of about `chunkRows` rows in its own IMMEDIATE transaction that reads the
 * rows, folds them into every item, and replaces the chunk's buckets (writing those that
 * changed, deleting those that are gone).
 *
 * Concurrent ingest is counted exactly once because every size was claimed before the
 * plan (store/size-state.ts): ingest folds each row it commits into the buckets of every
 * size, and serializes with the chunks. A row committed before a chunk is read by it; a row
 * committed after lands in the chunk's new buckets. The same transaction moves the size's
 * filled part down to the chunk, so readers trust exactly the buckets that hold every row.
 * When every item is done, one more transaction per series records the materialized-through time.
 */
export async function runBackfill(db: Db, plan: readonly PlanItem[], totals: BackfillTotals, options: RunOptions = {}): Promise<void> {
  const table = new BucketTable(db, options.onDamaged);
  const tx = sqliteTransactions(db);
  tuneForWrites(db);
  let reported = 0;
  const onRows = (count: number): void => {
    totals.rows += count;
    if (totals.rows - reported >= 2_000) options.onRows?.((reported = totals.rows));
  };
  // Rows logged without buckets: series refolded from the row log at every size (store/unfolded-rows.ts).
  const owner = `${process.pid}@${processStart(process.pid) ?? ""}`;
  const refolds = new Map<number, { readonly lower: number; readonly upper: number; before: UnfoldedSpan | null; begun: boolean }>();
  try {
    for (const pass of passes(plan.filter((item) => item.range !== null))) {
      const refolding = refoldedIn(pass.items, plan);
      for (const [id, range] of refolding) refolds.set(id, { ...range, before: null, begun: false });
      for (const [from, to] of chunks(pass, options.chunkRows ?? CHUNK_ROWS)) {
        options.signal?.throwIfAborted();
        const rowsBefore = totals.rows;
        try {
          totals.buckets += tx.write(() => {
            const written = replaceChunk(db, table, pass.items, pass.source, from, to, onRows);
            for (const item of pass.items) markFilled(db, item, from, to);
            for (const id of refolding.keys()) stepRefold(db, refolds.get(id)!, id, owner, from);
            options.onCommit?.({ rows: totals.rows, buckets: totals.buckets + written });
            return written;
          });
        } catch (error) {
          // A chunk that did not commit read nothing that counts.
          totals.rows = rowsBefore;
          throw error;
        }
        options.onRows?.(totals.rows);
        // Let timers, progress and signals run between transactions.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    for (const group of bySeries(plan)) {
      options.signal?.throwIfAborted();
      tx.write(() => finishSeries(db, group, refolds.get(group[0]!.series.id), owner));
    }
  } catch (error) {
    giveUpRefolds(db, refolds, owner);
    throw error;
  }
}

/**
 * The series of a pass whose every bucket size is in it, read from the row log: they can
 * be refolded as a whole, over the range all their sizes cover.
 */
function refoldedIn(items: readonly PlanItem[], plan: readonly PlanItem[]): Map<number, { lower: number; upper: number }> {
  const out = new Map<number, { lower: number; upper: number }>();
  for (const item of items) {
    const id = item.series.id;
    if (out.has(id)) continue;
    const all = plan.filter((i) => i.series.id === id);
    const here = items.filter((i) => i.series.id === id);
    if (here.length !== all.length || all.length !== item.series.sizes.length || all.some((i) => i.source.name !== ROW_LOG || i.range === null)) continue;
    out.set(id, { lower: Math.max(...all.map((i) => i.range!.lower)), upper: Math.min(...all.map((i) => i.range!.upper)) });
  }
  return out;
}

/** In a chunk's transaction: the refold of a series begins (first chunk) or gets down to `from`. */
function stepRefold(db: Db, refold: { lower: number; upper: number; before: UnfoldedSpan | null; begun: boolean }, id: number, owner: string, from: number): void {
  const down = Math.max(from, refold.lower);
  if (refold.begun) {
    if (refold.before !== null) continueRefold(db, id, owner, down);
    return;
  }
  refold.begun = true;
  refold.before = beginRefold(db, id, owner, { lower: refold.lower, from: down, upper: refold.upper }, ownerGone);
}

/** Whether the process a refold record names is gone (killed before it finished). */
function ownerGone(owner: string): boolean {
  const at = owner.indexOf("@");
  const pid = Number(owner.slice(0, at));
  const start = owner.slice(at + 1);
  return !Number.isSafeInteger(pid) || processState(pid, start === "" ? null : start) !== "alive";
}

/** A run that stops part way leaves the unfolded record as it was (conservative); best effort. */
function giveUpRefolds(db: Db, refolds: ReadonlyMap<number, { before: UnfoldedSpan | null }>, owner: string): void {
  try {
    sqliteTransactions(db).write(() => {
      for (const [id, r] of refolds) if (r.before !== null) abandonRefold(db, id, owner);
    });
  } catch {
    // The store refused (locked): the record names this process, which a later backfill finds gone.
  }
}

/**
 * The chunk `[from, to)` of the item's range now holds every row of the source: the
 * size's filled part grows down to it. Reaching the oldest row of the row log means
 * filled from the beginning; an offline source's history starts at its range.
 */
function markFilled(db: Db, item: PlanItem, from: number, to: number): void {
  const range = item.range!;
  const lower = Math.max(from, range.lower);
  const upper = Math.min(to, range.upper);
  if (lower >= upper) return;
  const whole = lower === range.lower && item.fromOldest && item.source.name === ROW_LOG;
  extendFilled(db, item.series.id, item.size.bucketMs, whole ? null : lower, upper);
  // Chunks run newest first: what this run replaced so far is [lower, range.upper).
  if (item.source.name !== ROW_LOG) noteOfflineRange(db, item.series.id, item.size.bucketMs, lower, upper);
  else clearOfflineWithin(db, item.series.id, item.size.bucketMs, lower, range.upper);
}

/** Items of one source whose sizes share a grid of chunk boundaries: `period` apart from `anchor`, or one zone's calendar. */
interface Pass {
  readonly source: RowSource;
  readonly anchor: number;
  period: number;
  /** The chunk boundaries: every item's bucket boundaries are among them. */
  grid: BucketGrid;
  readonly items: PlanItem[];
  /** The items' ranges together, aligned to the period. */
  range: { lower: number; upper: number };
  rows: number;
  readonly size: { bucketMs: number };
}

/**
 * Groups items into passes: same source and anchor, and a common period (the least
 * common multiple of their sizes) of at most MAX_PERIOD, or one size dividing the other.
 * Epoch-anchored 10m, 1h and 1d buckets make one pass with a one-day grid. Sizes on a
 * zone's calendar (whose days are not all one length) share a pass with the same calendar,
 * and with fixed sizes whose boundaries include every local midnight of the pass's range
 * (New York's 1d with 1h and 10m; not Asia/Kolkata's 1d with 1h): so a zoned series with
 * hourly and daily buckets is still refolded in one pass.
 */
export function passes(items: readonly PlanItem[]): Pass[] {
  const out: Pass[] = [];
  const calendarFirst = [...items].sort((a, b) => Number(zoneOf(b) !== null) - Number(zoneOf(a) !== null) || a.size.bucketMs - b.size.bucketMs);
  for (const item of calendarFirst) {
    const range = item.range!;
    const anchor = item.series.def.anchor;
    const size = item.size.bucketMs;
    const grid = gridOf(item.series.def, size);
    const pass = out.find((p) => {
      if (p.source !== item.source) return false;
      if (grid.zone !== null) return p.grid.key === grid.key;
      if (p.grid.zone !== null) return fitsCalendar(p, range, size, anchor);
      if (p.anchor !== anchor) return false;
      const period = lcm(p.period, size);
      return period <= MAX_PERIOD || period === Math.max(p.period, size);
    });
    if (pass === undefined) {
      out.push({ source: item.source, anchor, period: size, grid, items: [item], range: { ...range }, rows: item.rows, size: { bucketMs: size } });
      continue;
    }
    pass.items.push(item);
    if (pass.grid.zone === null) {
      pass.period = lcm(pass.period, size);
      pass.size.bucketMs = pass.period;
      pass.grid = bucketGrid(pass.period, anchor);
    }
    pass.range = { lower: Math.min(pass.range.lower, range.lower), upper: Math.max(pass.range.upper, range.upper) };
    pass.rows = Math.max(pass.rows, item.rows);
  }
  for (const pass of out) pass.range = { lower: pass.grid.alignDown(pass.range.lower), upper: pass.grid.alignUp(pass.range.upper) };
  return out;
}

function zoneOf(item: PlanItem): string | null {
  return gridOf(item.series.def, item.size.bucketMs).zone;
}

/**
 * Whether a fixed size (from `anchor`) can be chunked at a calendar pass's boundaries: its
 * range lies within the pass's, and every local midnight there is one of its boundaries.
 */
function fitsCalendar(pass: Pass, range: { lower: number; upper: number }, size: number, anchor: number): boolean {
  const lower = pass.grid.alignDown(pass.range.lower);
  const upper = pass.grid.alignUp(pass.range.upper);
  if (range.lower < lower || range.upper > upper) return false;
  for (let t = lower; t <= upper; t = pass.grid.end(t)) if ((t - anchor) % size !== 0) return false;
  return true;
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** Records how far the series' buckets are filled (and what is left of its unfolded rows). */
function finishSeries(db: Db, group: readonly PlanItem[], refold: { before: UnfoldedSpan | null } | undefined, owner: string): void {
  const id = group[0]!.series.id;
  const ranges = group.flatMap((item) => (item.range === null ? [] : [item.range]));
  if (ranges.length === 0) return;
  if (refold?.before) finishRefold(db, id, owner, refold.before);
  // Every size is filled through the smallest of their (differently aligned) upper ends.
  advanceMaterializedThrough(db, id, Math.min(...ranges.map((r) => r.upper)));
}

/** Bucket-aligned `[from, to)` chunks of an item's (or a pass's) range, newest first. */
export function chunks(
  item: { readonly range: PlanItem["range"]; readonly rows: number; readonly size: { readonly bucketMs: number }; readonly grid?: BucketGrid },
  chunkRows: number,
): Array<[number, number]> {
  if (item.range === null) return [];
  if (item.grid !== undefined && item.grid.zone !== null) return calendarChunks(item.range, item.rows, item.grid, chunkRows);
  const { lower, upper } = item.range;
  const size = item.size.bucketMs;
  const buckets = (upper - lower) / size;
  const perChunk = item.rows <= chunkRows ? buckets : Math.max(1, Math.floor((buckets * chunkRows) / item.rows));
  const out: Array<[number, number]> = [];
  for (let to = upper; to > lower; to -= perChunk * size) out.push([Math.max(lower, to - perChunk * size), to]);
  return out;
}

/** chunks() on a calendar grid: the same share of buckets per chunk, stepping bucket by bucket (days differ in length). */
function calendarChunks(range: { readonly lower: number; readonly upper: number }, rows: number, grid: BucketGrid, chunkRows: number): Array<[number, number]> {
  const bounds = [range.lower];
  for (let t = range.lower; t < range.upper; ) bounds.push((t = grid.end(t)));
  const buckets = bounds.length - 1;
  const perChunk = rows <= chunkRows ? buckets : Math.max(1, Math.floor((buckets * chunkRows) / rows));
  const out: Array<[number, number]> = [];
  for (let i = buckets; i > 0; i -= perChunk) out.push([bounds[Math.max(0, i - perChunk)]!, bounds[i]!]);
  return out;
}

function bySeries(plan: readonly PlanItem[]): PlanItem[][] {
  const groups = new Map<number, PlanItem[]>();
  for (const item of plan) groups.set(item.series.id, [...(groups.get(item.series.id) ?? []), item]);
  return [...groups.values()];
}
