import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/** Magnitudes at or above this are carried out of the partials so a partial never overflows. */
const CARRY = 2 ** 1000;

/**
 * An exact running sum (Shewchuk's algorithm, as in Python's `math.fsum`): the partials are
 * non-overlapping doubles, increasing in magnitude, whose exact sum is the exact sum of
 * every value added. `value()` is that sum correctly rounded, so the result is the same
 * double whatever the order of adds and merges: re-runs and concurrent ingest agree bit
 * for bit.
 *
 * Values of 2^1000 and more are split into `carries * 2^1000` plus a remainder, so no
 * intermediate sum overflows when the true total does not (fsum raises there instead).
 */
export class ExactSum {
  partials: number[] = [];
  /** Multiples of 2^1000 carried out (an integer). */
  carries = 0;
  /** Sum of the non-finite values seen (Infinity, or NaN once both signs appear). */
  special = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.special += x;
      return;
    }
    if (x >= CARRY || x <= -CARRY) {
      const c = Math.trunc(x / CARRY);
      this.carries += c;
      x -= c * CARRY; // exact: both are multiples of x's unit in the last place
    }
    const p = this.partials;
    growInto(p, x);
    // The top partial can reach the bound by accumulation: carry it out as well.
    let top = p[p.length - 1];
    while (top !== undefined && (top >= CARRY || top <= -CARRY)) {
      const c = Math.trunc(top / CARRY);
      this.carries += c;
      p.pop();
      growInto(p, top - c * CARRY);
      top = p[p.length - 1];
    }
  }

  merge(other: ExactSum): void {
    this.special += other.special;
    this.carries += other.carries;
    for (const q of other === this ? other.partials.slice() : other.partials) this.add(q);
  }

  /** `merge` of what `write` wrote, without building it (the query's hot path). */
  mergeEncoded(r: ByteReader): void {
    const head = r.varint();
    const count = Math.floor(head / 4);
    // The same adds as `merge`: carries and specials are sums, so their order is free.
    for (let i = 0; i < count; i++) this.add(r.number());
    if (head & 1) this.carries += r.number();
    if (head & 2) this.special += r.number();
  }

  /** The correctly rounded exact total (0 when nothing was added). */
  value(): number {
    if (this.special !== 0) return this.special;
    if (this.carries === 0) return roundPartials(this.partials);
    const c = Math.abs(this.carries);
    // The partials total less than 2^1001, so this many carries is beyond any double.
    if (c >= 2 ** 25) return this.carries > 0 ? Infinity : -Infinity;
    // Scale by 2^-k so the carried part fits with room to spare. Exact except for
    // subnormal partials, which against a total of at least 2^1022 only act through
    // their sign on ties: they are kept non-zero with that sign.
    let k = 0;
    while (c * 2 ** (1000 - k) > 2 ** 1022) k++;
    const p: number[] = [];
    for (const q of this.partials) {
      growInto(p, k === 0 ? q : q * 2 ** -k || Math.sign(q) * Number.MIN_VALUE);
    }
    growInto(p, this.carries * 2 ** (1000 - k));
    return roundPartials(p) * 2 ** k;
  }

  write(w: ByteWriter): void {
    const flags = (this.carries !== 0 ? 1 : 0) | (this.special !== 0 ? 2 : 0);
    w.varint(this.partials.length * 4 + flags);
    for (const q of this.partials) w.number(q);
    if (flags & 1) w.number(this.carries);
    if (flags & 2) w.number(this.special);
  }

  read(r: ByteReader): void {
    const head = r.varint();
    const count = Math.floor(head / 4);
    const flags = head % 4;
    const partials: number[] = [];
    for (let i = 0; i < count; i++) partials.push(r.number());
    this.partials = partials;
    this.carries = flags & 1 ? r.number() : 0;
    this.special = flags & 2 ? r.number() : 0;
  }
}

/** Shewchuk's grow-expansion: folds x into the partials, in place, without rounding. */
function growInto(p: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j] as number;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  while (p.length > i) p.pop(); // cheaper than the length setter, a runtime call
  if (x !== 0) p.push(x);
}

/** Rounds the exact sum of the partials to the nearest double, ties to even (CPython's fsum). */
function roundPartials(p: readonly number[]): number {
  let n = p.length;
  if (n === 0) return 0;
  let hi = p[--n] as number;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n] as number;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Half-even across partials: a same-signed remainder below `lo` breaks the tie.
  const next = n > 0 ? (p[n - 1] as number) : 0;
  if ((lo < 0 && next < 0) || (lo > 0 && next > 0)) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
