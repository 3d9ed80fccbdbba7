import type { BucketState, Row, Scalar } from "../aggregate/types.js";
import type { CompiledSize } from "../series/compiled-series.js";
import type { BucketTable } from "../store/bucket-table.js";
import type { Target } from "./affected-series.js";

interface Entry {
  readonly target: Target;
  readonly size: CompiledSize;
  readonly keys: readonly string[];
  readonly start: number;
  /** null until first loaded, and for buckets to recompute (their state comes from the log). */
  state: BucketState | null;
  recompute: boolean;
}

export interface FlushResult {
  readonly written: number;
  readonly deleted: number;
  /** Series ids with a bucket written or deleted. */
  readonly series: ReadonlySet<number>;
  /** The sizes a bucket was written for: their layout is recorded with them. */
  readonly sizes: readonly { readonly seriesId: number; readonly size: CompiledSize }[];
}

/**
 * The buckets one batch touches, held in memory: each is read from the store on first
 * touch (inside the write transaction, so no other writer can change it meanwhile), rows
 * are folded in input order, and each is written once at the end. Folding in input order
 * from the stored state makes the result independent of where batches begin and end.
 */
export class BucketBatch {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly buckets: BucketTable) {}

  add(target: Target, size: CompiledSize, keys: readonly string[], keyText: string, start: number, value: Scalar, row: Row): void {
    const entry = this.entry(target, size, keys, keyText, start);
    if (entry.recompute) return; // its state will be rebuilt from the row log, this row included
    if (entry.state === null) {
      const stored = this.buckets.get(target.series.id, size.bucketMs, keys, start);
      entry.state = stored === undefined ? size.layout.empty() : size.layout.decode(stored.state);
    }
    size.layout.add(entry.state, value, row);
  }

  /** The bucket will be rebuilt from the row log at flush (a row in it was replaced). */
  markRecompute(target: Target, size: CompiledSize, keys: readonly string[], keyText: string, start: number): void {
    const entry = this.entry(target, size, keys, keyText, start);
    entry.recompute = true;
    entry.state = null;
  }

  /**
   * Writes every touched bucket once. `cutoff` gives each size's retention cutoff: a
   * bucket ending at or before it is deleted instead of written.
   */
  flush(cutoff: (target: Target, size: CompiledSize) => number, recompute: (target: Target, size: CompiledSize, keys: readonly string[], start: number) => BucketState | null): FlushResult {
    let written = 0;
    let deleted = 0;
    const series = new Set<number>();
    const sizes = new Map<string, { seriesId: number; size: CompiledSize }>();
    for (const e of this.entries.values()) {
      const id = e.target.series.id;
      const bucketMs = e.size.bucketMs;
      const state = e.start + bucketMs <= cutoff(e.target, e.size) ? null : e.recompute ? recompute(e.target, e.size, e.keys, e.start) : e.state;
      if (state === null) {
        const gone = this.buckets.delete(id, bucketMs, e.keys, e.start);
        deleted += gone;
        if (gone > 0) series.add(id);
        continue;
      }
      this.buckets.put(id, bucketMs, e.keys, e.start, e.size.layout.rows(state), e.size.layout.encode(state));
      written++;
      series.add(id);
      sizes.set(`${id}:${bucketMs}`, { seriesId: id, size: e.size });
    }
    this.entries.clear();
    return { written, deleted, series, sizes: [...sizes.values()] };
  }

  private entry(target: Target, size: CompiledSize, keys: readonly string[], keyText: string, start: number): Entry {
    const id = `${target.series.id}:${size.bucketMs}:${start}:${keyText}`;
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { target, size, keys, start, state: null, recompute: false };
      this.entries.set(id, entry);
    }
    return entry;
  }
}
