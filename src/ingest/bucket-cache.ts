import type { BucketState, Row, Scalar } from "../aggregate/types.js";

/** A bucket the current batch touches. */
export interface OpenBucket {
  /** The group key as keyTextOf gives it (keysOfText gives the keys back when written). */
  readonly keyText: string;
  readonly start: number;
  /** The decoded state; null while it is still to be read, or is to be recomputed. */
  state: BucketState | null;
  /** The state (or absence) is known: the store's, plus the rows folded since. */
  loaded: boolean;
  /** The store holds a record for it; false when unknown or absent. */
  stored: boolean;
  /** To be rebuilt from the row log when the batch commits (a row in it was replaced). */
  recompute: boolean;
  /** Values and rows folded before the stored state was read, in input order. */
  pending: (Scalar | Row)[] | null;
}

/**
 * What ingest knows of the buckets of one (series, size) between batches: which buckets
 * exist, so that a new one needs no read. The frontier does most of it: every stored
 * bucket that starts at or after it is listed here, so a bucket starting there that is
 * not listed cannot exist yet (a stream in time order creates most of its buckets
 * there). A listed bucket, or one before the frontier, is read (one statement per size
 * and batch slice).
 *
 * Only keys, not states: with sparse keys most buckets are written once or twice, so a
 * cache of states would save few reads, and every state it held would be garbage for the
 * collector's old generation, which V8 lets grow far past what is live. The list is exact
 * only while no other connection writes the store (the applier resets it when one did),
 * and it keeps the newest buckets: eviction drops the oldest starts first and moves the
 * frontier past them.
 */
export class SizeCache {
  private readonly stored = new Map<number, Set<string>>();
  /** The buckets the current batch slice touches. */
  private readonly open = new Map<number, Map<string, OpenBucket>>();
  /** Stored buckets listed. */
  count = 0;
  frontier = -Infinity;

  constructor(readonly bucketMs: number) {}

  /** The open bucket, if the slice touched it already. */
  get(start: number, keyText: string): OpenBucket | undefined {
    return this.open.get(start)?.get(keyText);
  }

  /** Opens a bucket for the slice: known empty when it cannot exist yet, else still to be read (`loaded` false). */
  openBucket(start: number, keyText: string): OpenBucket {
    const known = start >= this.frontier && this.stored.get(start)?.has(keyText) !== true;
    const bucket: OpenBucket = { keyText, start, state: null, loaded: known, stored: false, recompute: false, pending: known ? null : [] };
    let group = this.open.get(start);
    if (group === undefined) this.open.set(start, (group = new Map()));
    group.set(keyText, bucket);
    return bucket;
  }

  /** The slice wrote the bucket (`written`) or deleted it. */
  settle(bucket: OpenBucket, written: boolean): void {
    // Before the frontier, nothing is listed: absence is never assumed there.
    if (bucket.start < this.frontier) return;
    let group = this.stored.get(bucket.start);
    if (!written) {
      if (group?.delete(bucket.keyText) === true) {
        this.count--;
        if (group.size === 0) this.stored.delete(bucket.start);
      }
      return;
    }
    if (group === undefined) this.stored.set(bucket.start, (group = new Set()));
    if (!group.has(bucket.keyText)) {
      group.add(bucket.keyText);
      this.count++;
    }
  }

  /** Ends the slice: every open bucket was settled. */
  closeSlice(): void {
    this.open.clear();
  }

  /** Retention deleted every stored bucket starting at or before `lastStart`: forget them too. */
  dropThrough(lastStart: number): void {
    for (const [start, group] of this.stored) {
      if (start > lastStart) continue;
      this.count -= group.size;
      this.stored.delete(start);
    }
  }

  /** The oldest start listed, or Infinity. */
  oldestStart(): number {
    let oldest = Infinity;
    for (const start of this.stored.keys()) if (start < oldest) oldest = start;
    return oldest;
  }

  /**
   * Forgets the buckets of the oldest start (between slices) and moves the frontier past
   * them, since a stored bucket there is no longer listed. Returns how many were dropped.
   */
  evictOldest(): number {
    const oldest = this.oldestStart();
    const group = this.stored.get(oldest);
    if (group === undefined) return 0;
    this.stored.delete(oldest);
    this.count -= group.size;
    this.frontier = Math.max(this.frontier, oldest + this.bucketMs);
    return group.size;
  }

  /** Forgets everything: another connection may have written. `newest` is the store's newest start. */
  reset(newest: number | null): void {
    this.stored.clear();
    this.open.clear();
    this.count = 0;
    this.frontier = newest === null ? -Infinity : newest + this.bucketMs;
  }
}
