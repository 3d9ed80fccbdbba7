import type { BucketState, Row, Scalar } from "../aggregate/types.js";

/** A bucket the current batch touches. */
export interface OpenBucket {
  readonly keys: readonly string[];
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
 * What ingest knows of the buckets of one (series, size) between batches: the stored
 * bytes of recent buckets, by start and group key, so a bucket touched again needs no
 * read. It is exact only while no other connection writes the store (the applier resets
 * it when one did). It keeps the newest buckets: eviction drops the oldest starts first,
 * which a stream in roughly time order rarely touches again. Bytes, not decoded states:
 * a few dozen bytes a bucket instead of a few hundred, and little for the collector.
 *
 * The frontier says which buckets need no read to be known absent: every stored bucket
 * that starts at or after it is held here.
 */
export class SizeCache {
  private readonly stored = new Map<number, Map<string, Uint8Array>>();
  /** The buckets the current batch touches. */
  private readonly open = new Map<number, Map<string, OpenBucket>>();
  /** Stored buckets held. */
  count = 0;
  frontier = -Infinity;

  constructor(readonly bucketMs: number) {}

  /** The open bucket, if the batch touched it already. */
  get(start: number, keyText: string): OpenBucket | undefined {
    return this.open.get(start)?.get(keyText);
  }

  /**
   * Opens a bucket for the batch: with its stored bytes when they are held, known empty
   * at or after the frontier, else still to be read (`loaded` false).
   */
  openBucket(start: number, keyText: string, keys: readonly string[], decode: (bytes: Uint8Array) => BucketState): OpenBucket {
    const bytes = this.stored.get(start)?.get(keyText);
    const known = bytes !== undefined || start >= this.frontier;
    const bucket: OpenBucket = { keys, keyText, start, state: bytes === undefined ? null : decode(bytes), loaded: known, stored: bytes !== undefined, recompute: false, pending: known ? null : [] };
    let group = this.open.get(start);
    if (group === undefined) this.open.set(start, (group = new Map()));
    group.set(keyText, bucket);
    return bucket;
  }

  /** The batch wrote the bucket (`bytes`) or deleted it (null). */
  settle(bucket: OpenBucket, bytes: Uint8Array | null): void {
    let group = this.stored.get(bucket.start);
    if (bytes === null) {
      if (group?.delete(bucket.keyText) === true) {
        this.count--;
        if (group.size === 0) this.stored.delete(bucket.start);
      }
      return;
    }
    if (group === undefined) this.stored.set(bucket.start, (group = new Map()));
    if (!group.has(bucket.keyText)) this.count++;
    group.set(bucket.keyText, bytes);
  }

  /** Ends the batch: every open bucket was settled. */
  closeBatch(): void {
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

  /** The oldest start held, or Infinity. */
  oldestStart(): number {
    let oldest = Infinity;
    for (const start of this.stored.keys()) if (start < oldest) oldest = start;
    return oldest;
  }

  /**
   * Evicts the buckets of the oldest start (between batches) and moves the frontier past
   * them, since a stored bucket there is no longer held. Returns how many were evicted.
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
