import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/**
 * Running min and max of numeric values. NaN means "none yet": `!(x >= NaN)` is true,
 * so the first value wins without a separate flag or branch.
 */
export class Extremes {
  min = NaN;
  max = NaN;

  /** Whether `write` stores the min / the max (the layout keeps only what it serves). */
  constructor(
    readonly keepMin: boolean,
    readonly keepMax: boolean,
  ) {}

  add(x: number): void {
    if (!(x >= this.min)) this.min = x;
    if (!(x <= this.max)) this.max = x;
  }

  merge(other: Extremes): void {
    this.mergeValues(other.min, other.max);
  }

  /** `merge` of what `write` wrote, without building it (the query's hot path). */
  mergeEncoded(r: ByteReader): void {
    this.mergeValues(this.keepMin ? r.number() : NaN, this.keepMax ? r.number() : NaN);
  }

  private mergeValues(min: number, max: number): void {
    if (!(min >= this.min) && min === min) this.min = min;
    if (!(max <= this.max) && max === max) this.max = max;
  }

  write(w: ByteWriter): void {
    if (this.keepMin) w.number(this.min);
    if (this.keepMax) w.number(this.max);
  }

  read(r: ByteReader): void {
    if (this.keepMin) this.min = r.number();
    if (this.keepMax) this.max = r.number();
  }
}
