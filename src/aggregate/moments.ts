import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/**
 * Count, mean and M2 (sum of squared deviations from the mean) for std and variance:
 * Welford's update per value and Chan et al.'s parallel formula per merge, which stay
 * accurate where a naive sum of squares cancels catastrophically.
 *
 * The mean is kept relative to a shift (the first value seen), so data with a large
 * offset and a small spread (epoch-ms timestamps, prices around 1e9) keeps its digits.
 */
export class Moments {
  n = 0;
  shift = 0;
  /** Mean of (x - shift). */
  mean = 0;
  m2 = 0;

  add(x: number): void {
    if (this.n === 0) this.shift = x;
    const y = x - this.shift;
    const n = ++this.n;
    const d = y - this.mean;
    this.mean += d / n;
    this.m2 += d * (y - this.mean);
  }

  merge(other: Moments): void {
    this.mergeValues(other.n, other.shift, other.mean, other.m2);
  }

  /** `merge` of what `write` wrote, without building it (the query's hot path). */
  mergeEncoded(r: ByteReader): void {
    const n = r.varint();
    if (n === 0) return;
    const shift = r.number();
    if (n === 1) this.mergeValues(1, shift, 0, 0);
    else this.mergeValues(n, shift, r.number(), r.number());
  }

  private mergeValues(nb: number, shift: number, mean: number, m2: number): void {
    if (nb === 0) return;
    const na = this.n;
    if (na === 0) {
      this.n = nb;
      this.shift = shift;
      this.mean = mean;
      this.m2 = m2;
      return;
    }
    const n = na + nb;
    // Difference of the two means; the shifts are close for similar data, so their
    // difference is exact (Sterbenz) and the small shifted means keep their precision.
    const d = shift - this.shift + (mean - this.mean);
    this.mean += (d * nb) / n;
    this.m2 += m2 + ((d * d * na) / n) * nb;
    this.n = n;
  }

  /** Sample variance (n - 1); null below two values. */
  variance(): number | null {
    return this.n < 2 ? null : Math.max(0, this.m2) / (this.n - 1);
  }

  write(w: ByteWriter): void {
    w.varint(this.n);
    if (this.n === 0) return;
    w.number(this.shift);
    if (this.n === 1) return; // mean 0, M2 0
    w.number(this.mean);
    w.number(this.m2);
  }

  read(r: ByteReader): void {
    this.n = r.varint();
    this.shift = this.n === 0 ? 0 : r.number();
    this.mean = this.n > 1 ? r.number() : 0;
    this.m2 = this.n > 1 ? r.number() : 0;
  }
}
