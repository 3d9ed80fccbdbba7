import type { Scalar } from "./types.js";

/**
 * Scalar heads: one varint whose low 3 bits say what follows. Small integers, short
 * decimals, booleans and short strings cost a few bytes, which keeps a one-row bucket tiny.
 */
export const TAG_INT = 0; // zigzag integer in the upper bits
export const TAG_F32 = 1; // 4 bytes follow (the value is exact as a float32)
export const TAG_F64 = 2; // 8 bytes follow
export const TAG_FALSE = 3;
export const TAG_TRUE = 4;
export const TAG_STRING = 5; // length * 2 + (1 if UTF-16 units follow, 0 if UTF-8 bytes) in the upper bits
export const TAG_NULL = 6;
export const TAG_DECIMAL = 7; // m / 10^d: zigzag(m) * 4 + (d - 1) in the upper bits

/** Powers of ten tried for short decimals (amounts such as 12.34 take 3 bytes, not 9). */
export const DECIMAL_SCALES: readonly number[] = [10, 100, 1000, 10_000];
const MAX_DECIMAL_MANTISSA = 2 ** 44;

/** Integers up to this magnitude are written as varints (zigzag * 8 stays below 2^53). */
const MAX_VARINT_INT = 2 ** 49;

const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A growable little-endian byte buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Forgets what was written, keeping the buffer (for reuse by a hot path). */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned integer in [0, 2^53), 7 bits per byte. */
  varint(v: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    // Plain arithmetic above 2^31 keeps all 53 bits; bitwise below is faster.
    while (v >= 0x80000000) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** Signed integer in (-2^52, 2^52), zigzag so small magnitudes of either sign take one byte. */
  sint(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Any number, exactly (including -0, NaN and infinities), in 1 to 9 bytes. */
  number(v: number): void {
    if (Number.isInteger(v) && Math.abs(v) <= MAX_VARINT_INT && !Object.is(v, -0)) {
      this.varint((v >= 0 ? v * 2 : -v * 2 - 1) * 8 + TAG_INT);
      return;
    }
    const decimal = decimalHead(v);
    if (decimal < 2 ** 28) {
      this.varint(decimal); // at most 4 bytes
    } else if (Math.fround(v) === v) {
      this.u8(TAG_F32);
      this.f32(v);
    } else if (decimal < 2 ** 49) {
      this.varint(decimal); // at most 7 bytes
    } else {
      this.u8(TAG_F64);
      this.f64(v);
    }
  }

  scalar(v: Scalar): void {
    if (typeof v === "number") this.number(v);
    else if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) {
        // UTF-8 cannot carry a lone surrogate (it would come back as U+FFFD): raw units.
        this.varint((v.length * 2 + 1) * 8 + TAG_STRING);
        this.ensure(v.length * 2);
        for (let i = 0; i < v.length; i++) {
          this.view.setUint16(this.pos, v.charCodeAt(i), true);
          this.pos += 2;
        }
        return;
      }
      const encoded = utf8.encode(v);
      this.varint(encoded.length * 2 * 8 + TAG_STRING);
      this.bytes(encoded);
    } else if (v === null) this.u8(TAG_NULL);
    else this.u8(v ? TAG_TRUE : TAG_FALSE);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/**
 * The varint head for v as m / 10^d with a small integer m, when that division gives back
 * exactly v (it does for any double parsed from a short decimal); Infinity otherwise.
 */
function decimalHead(v: number): number {
  if (!Number.isFinite(v)) return Infinity;
  for (let i = 0; i < DECIMAL_SCALES.length; i++) {
    const scale = DECIMAL_SCALES[i] as number;
    const m = Math.round(v * scale);
    if (Math.abs(m) > MAX_DECIMAL_MANTISSA) return Infinity;
    if (m / scale === v && m !== 0) return ((m >= 0 ? m * 2 : -m * 2 - 1) * 4 + i) * 8 + TAG_DECIMAL;
  }
  return Infinity;
}
