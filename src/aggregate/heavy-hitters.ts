import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";
import { compareScalars } from "./scalar-order.js";

/** Counters kept for a top-k of k: enough that the k-th item's error is small. */
export function heavyHittersCapacity(k: number): number {
  return Math.max(k * 4, 32);
}

type Item = string | number | boolean;

/**
 * approxTopK: a Misra-Gries summary with mergeable-summaries merging (Agarwal et al.,
 * 2012). Each count underestimates its item's true frequency by at most n / (capacity + 1),
 * so any item above that share is always present, and while at most `capacity` distinct
 * items have been seen every count is exact.
 */
export class HeavyHitters {
  counts = new Map<Item, number>();
  /** Non-null values folded in. */
  n = 0;

  constructor(readonly capacity: number) {}

  add(v: Item): void {
    this.n++;
    const c = this.counts.get(v);
    if (c !== undefined) this.counts.set(v, c + 1);
    else if (this.counts.size < this.capacity) this.counts.set(v, 1);
    else this.decrementAll(1);
  }

  merge(other: HeavyHitters): void {
    this.n += other.n;
    for (const [v, c] of [...other.counts]) this.counts.set(v, (this.counts.get(v) ?? 0) + c);
    if (this.counts.size <= this.capacity) return;
    // Subtract the (capacity + 1)-th largest count from every counter, keep the positive ones.
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    this.decrementAll(sorted[this.capacity] as number);
  }

  /** The k most frequent items, most frequent first (ties by value); null when empty. */
  top(k: number): Item[] | null {
    if (this.n === 0) return null;
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || compareScalars(a[0], b[0]))
      .slice(0, k)
      .map(([v]) => v);
  }

  write(w: ByteWriter): void {
    w.varint(this.n);
    w.varint(this.counts.size);
    for (const [v, c] of this.counts) {
      w.scalar(v);
      w.varint(c);
    }
  }

  read(r: ByteReader): void {
    this.n = r.varint();
    const size = r.varint();
    this.counts = new Map();
    for (let i = 0; i < size; i++) {
      const v = r.scalar();
      const c = r.varint();
      if (v !== null) this.counts.set(v, c);
    }
  }

  private decrementAll(by: number): void {
    for (const [v, c] of this.counts) {
      if (c > by) this.counts.set(v, c - by);
      else this.counts.delete(v);
    }
  }
}
