import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";
import { HLL_M, hllEstimate, hllInsert, hllMerge, hllRead, hllWrite } from "./hyperloglog.js";
import { hashScalar } from "./scalar-hash.js";

/** Up to this many distinct hashes are kept exactly; beyond, a dense HyperLogLog. */
export const SPARSE_LIMIT = 512;

/**
 * approxCountDistinct: an exact set of 53-bit hashes while small (a bucket with a handful
 * of values costs tens of bytes and counts exactly), then a dense HyperLogLog (p = 14,
 * ~0.8% standard error). Hand-written: `bloom-filters` has an HLL but no sparse mode, JSON
 * export and eight dependencies; `hyperloglog-lite` needs a native murmurhash build.
 *
 * The result does not depend on the order of adds and merges: the sketch is sparse iff
 * the union of all hashes has at most SPARSE_LIMIT of them, and dense registers are the
 * max over every hash either way.
 */
export class DistinctSketch {
  hashes: Set<number> | null = new Set();
  registers: Uint8Array | null = null;

  add(v: string | number | boolean): void {
    const h = hashScalar(v);
    if (this.hashes !== null) {
      this.hashes.add(h);
      if (this.hashes.size > SPARSE_LIMIT) this.densify();
    } else {
      hllInsert(this.registers as Uint8Array, h);
    }
  }

  merge(other: DistinctSketch): void {
    if (other.hashes !== null) {
      if (this.hashes !== null) {
        for (const h of other.hashes) this.hashes.add(h);
        if (this.hashes.size > SPARSE_LIMIT) this.densify();
      } else {
        const registers = this.registers as Uint8Array;
        for (const h of other.hashes) hllInsert(registers, h);
      }
      return;
    }
    if (this.hashes !== null) this.densify();
    hllMerge(this.registers as Uint8Array, other.registers as Uint8Array);
  }

  /** Exact below SPARSE_LIMIT distinct values, an estimate (rounded) above. */
  estimate(): number {
    if (this.hashes !== null) return this.hashes.size;
    return Math.round(hllEstimate(this.registers as Uint8Array));
  }

  /** Sparse: count, then the sorted hashes as gaps. Dense: a 0, then the registers. */
  write(w: ByteWriter): void {
    if (this.hashes === null) {
      w.varint(0);
      hllWrite(w, this.registers as Uint8Array);
      return;
    }
    const sorted = Float64Array.from(this.hashes).sort();
    w.varint(sorted.length + 1);
    let last = 0;
    for (const h of sorted) {
      w.varint(h - last);
      last = h;
    }
  }

  read(r: ByteReader): void {
    const head = r.varint();
    if (head === 0) {
      this.hashes = null;
      this.registers = hllRead(r);
      return;
    }
    const hashes = new Set<number>();
    let h = 0;
    for (let k = head - 1; k > 0; k--) {
      h += r.varint();
      hashes.add(h);
    }
    this.hashes = hashes;
    this.registers = null;
  }

  private densify(): void {
    const registers = new Uint8Array(HLL_M);
    for (const h of this.hashes as Set<number>) hllInsert(registers, h);
    this.hashes = null;
    this.registers = registers;
  }
}
