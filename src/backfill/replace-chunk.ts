import type { BucketState, Row } from "../aggregate/types.js";
import { foldRow, type FoldedStates } from "../series/fold-row.js";
import { keysOfText, keyTextOfKeys } from "../series/key-text.js";
import { retentionCutoff } from "../series/compiled-series.js";
import type { BucketRecord, BucketTable } from "../store/sqlite/bucket-table.js";
import type { Db } from "../store/sqlite/open-store.js";
import { parseRow } from "../store/sqlite/row-log.js";
import { advanceMaxEventTime, seriesMaxEventTime } from "../store/series-registry.js";
import { lowerBound } from "../time/sorted-search.js";
import type { PlanItem } from "./plan-backfill.js";
import type { RowSource } from "./row-source.js";

interface Folded {
  readonly keys: string[];
  readonly state: BucketState;
  /** The state encoded, once it was compared with a stored bucket. */
  bytes?: Uint8Array;
  /** The store holds these rows and bytes already: nothing to write. */
  same?: boolean;
}

/** One item's share of a chunk: `[from, to)`, aligned to its size, and its rows' indexes. */
interface Part {
  readonly item: PlanItem;
  readonly from: number;
  readonly to: number;
  readonly first: number;
  readonly end: number;
}

/**
 * Recomputes the chunk `[from, to)` of several (series, size) items of one source, reading
 * the source once, and replaces their stored buckets of the chunk. Returns the buckets
 * the chunk holds now (written, or found already stored with the same bytes). The chunk must be
 * aligned to every item's size; each item keeps to its own range within it. Must run
 * inside a write transaction: the read, the deletes and the writes then form one atomic
 * step.
 *
 * Retention is that of ingest: a series' clock is the latest event time it has seen
 * (advanced by every row read here for it, kept or not), and buckets ending at or before
 * its cutoff are neither written nor kept. Chunks run newest first, so the clock is final
 * for this run by the time older chunks are folded, and a chunk wholly past retention
 * for every item is not read at all.
 */
export function replaceChunk(db: Db, table: BucketTable, items: readonly PlanItem[], source: RowSource, from: number, to: number, onRows: (count: number) => void): number {
  const clocks = new Map<number, number | null>();
  const clockOf = (id: number): number | null => {
    if (!clocks.has(id)) clocks.set(id, seriesMaxEventTime(db, id));
    return clocks.get(id) ?? null;
  };
  const shares: { item: PlanItem; from: number; to: number }[] = [];
  for (const item of items) {
    if (item.range === null) continue;
    const share = { item, from: Math.max(from, item.range.lower), to: Math.min(to, item.range.upper) };
    if (share.from >= share.to) continue;
    const clock = clockOf(item.series.id);
    if (clock !== null && share.to <= retentionCutoff(clock, item.size)) {
      // Wholly past retention: nothing here may hold buckets, so skip reading it.
      table.deleteRange(item.series.id, item.size.bucketMs, share.from, share.to);
      continue;
    }
    shares.push(share);
  }
  if (shares.length === 0) return 0;

  const read = source.timesAndData(Math.min(...shares.map((s) => s.from)), Math.max(...shares.map((s) => s.to)));
  onRows(read.length);
  const times = read.map((r) => r[0]);
  const rows = read.map((r) => parseRow(r[1]));
  const parts: Part[] = shares.map((s) => ({ ...s, first: lowerBound(times, s.from), end: lowerBound(times, s.to) }));

  // As in ingest, every row of the namespace moves the clock, kept or not.
  const newest = new Map<number, number>();
  for (const part of parts) {
    if (part.end === part.first) continue;
    const id = part.item.series.id;
    newest.set(id, Math.max(newest.get(id) ?? -Infinity, times[part.end - 1]!));
  }
  for (const [id, t] of newest) {
    advanceMaxEventTime(db, id, t);
    const clock = clockOf(id);
    clocks.set(id, clock === null ? t : Math.max(clock, t));
  }

  let written = 0;
  for (const part of parts) {
    const { series, size } = part.item;
    const { def, id } = series;
    const folded: FoldedStates<Folded> = new Map();
    const make = (keyText: string): Folded => ({ keys: keysOfText(keyText, def.groupKeys.length), state: size.layout.empty() });
    for (let i = part.first; i < part.end; i++) foldRow(folded, def, size, times[i]!, rows[i] as Row, make);
    const clock = clockOf(id);
    const cutoff = clock === null ? -Infinity : retentionCutoff(clock, size);
    // Replace what changed: a bucket recomputed to the bytes it has is left as it is, one
    // that is gone is deleted. Over history that ingest keeps current, that is most of it.
    const keyCount = def.groupKeys.length;
    const stored = table.readRange(id, size.bucketMs, keyCount, part.from, part.to);
    const keysAt = (i: number): string[] => stored.keys.map((column) => column[i]!);
    const gone: number[] = [];
    for (let i = 0; i < stored.count; i++) {
      const start = stored.starts[i]!;
      const bucket = size.grid.end(start) <= cutoff ? undefined : folded.get(start)?.get(keyCount === 1 ? stored.keys[0]![i]! : keyTextOfKeys(keysAt(i)));
      if (bucket === undefined) {
        gone.push(i);
        continue;
      }
      bucket.bytes = size.layout.encode(bucket.state);
      // A damaged stored state (failing its checksum) is rewritten, never kept.
      bucket.same = !stored.damaged.has(i) && stored.rows[i] === size.layout.rows(bucket.state) && sameBytes(stored.bytes, stored.offsets[i]!, stored.offsets[i + 1]!, bucket.bytes);
    }
    for (const i of gone) table.delete(id, size.bucketMs, keysAt(i), stored.starts[i]!);
    const writes: BucketRecord[] = [];
    for (const [start, byKey] of folded) {
      if (size.grid.end(start) <= cutoff) continue;
      for (const bucket of byKey.values()) {
        written++;
        if (bucket.same !== true) writes.push({ keys: bucket.keys, start, rows: size.layout.rows(bucket.state), state: bucket.bytes ?? size.layout.encode(bucket.state) });
      }
    }
    table.putMany(id, size.bucketMs, writes);
    // Buckets ending at or before the cutoff: those starting before the bucket holding it.
    if (clock !== null) table.deleteRange(id, size.bucketMs, -Number.MAX_SAFE_INTEGER, size.grid.alignDown(cutoff));
  }
  return written;
}

/** Whether `stored[from, to)` holds exactly the bytes of `state`. */
function sameBytes(stored: Uint8Array, from: number, to: number, state: Uint8Array): boolean {
  if (to - from !== state.length) return false;
  for (let i = 0; i < state.length; i++) if (stored[from + i] !== state[i]) return false;
  return true;
}
