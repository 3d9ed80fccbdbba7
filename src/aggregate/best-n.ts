import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";
import { compareScalars } from "./scalar-order.js";
import type { Row, Scalar } from "./types.js";

/**
 * minByN / maxByN: the n rows with the smallest (or largest) `row[by]`, as (by, value)
 * pairs kept sorted best first. Pairs are ordered by `by`, then by value, so the rows
 * kept and their order are the same whatever order rows and merges come in (maxByN is
 * exactly minByN's order reversed). Rows whose `by` is null or NaN are skipped.
 */
export class BestN {
  keys: Scalar[] = [];
  values: Scalar[] = [];

  constructor(
    readonly by: string,
    readonly n: number,
    /** 1 keeps the smallest, -1 the largest. */
    readonly direction: 1 | -1,
  ) {}

  add(row: Row, value: Scalar): void {
    const key = row[this.by];
    if (key === undefined || key === null || key !== key) return;
    this.insert(key, value);
  }

  merge(other: BestN): void {
    const keys = other.keys.slice();
    const values = other.values.slice();
    for (let i = 0; i < keys.length; i++) this.insert(keys[i] as Scalar, values[i] as Scalar);
  }

  /** The kept values, best first; null when no row was kept. */
  top(n: number): Scalar[] | null {
    return this.values.length === 0 ? null : this.values.slice(0, n);
  }

  write(w: ByteWriter): void {
    w.varint(this.keys.length);
    for (let i = 0; i < this.keys.length; i++) {
      w.scalar(this.keys[i] as Scalar);
      w.scalar(this.values[i] as Scalar);
    }
  }

  read(r: ByteReader): void {
    const length = r.varint();
    this.keys = new Array<Scalar>(length);
    this.values = new Array<Scalar>(length);
    for (let i = 0; i < length; i++) {
      this.keys[i] = r.scalar();
      this.values[i] = r.scalar();
    }
  }

  /** Negative when (ka, va) comes before (kb, vb). */
  private compare(ka: Scalar, va: Scalar, kb: Scalar, vb: Scalar): number {
    return this.direction * (compareScalars(ka, kb) || compareScalars(va, vb));
  }

  private insert(key: Scalar, value: Scalar): void {
    const { keys, values } = this;
    let i = keys.length;
    // Fast reject: not better than the worst kept pair of a full list.
    if (i === this.n && this.compare(key, value, keys[i - 1] as Scalar, values[i - 1] as Scalar) >= 0) {
      return;
    }
    while (i > 0 && this.compare(key, value, keys[i - 1] as Scalar, values[i - 1] as Scalar) < 0) i--;
    keys.splice(i, 0, key);
    values.splice(i, 0, value);
    if (keys.length > this.n) {
      keys.pop();
      values.pop();
    }
  }
}
