import { AggError } from "../errors.js";
import type { Scalar } from "./types.js";
import {
  DECIMAL_SCALES,
  TAG_F32,
  TAG_F64,
  TAG_FALSE,
  TAG_DECIMAL,
  TAG_INT,
  TAG_NULL,
  TAG_STRING,
  TAG_TRUE,
} from "./byte-writer.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Floats are copied here and read with an explicit byte order: one DataView for every
// reader, where a view per reader would cost an allocation per bucket on the query path.
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

/**
 * Reads what a `ByteWriter` wrote, in `buf[from, end)`; throws a "store" error on
 * truncated or foreign bytes.
 */
export class ByteReader {
  private buf: Uint8Array;
  private pos: number;
  private end: number;

  constructor(buf: Uint8Array, from = 0, end = buf.length) {
    this.buf = buf;
    this.pos = from;
    this.end = end;
  }

  /** Points the reader at `buf[from, end)`, so a hot loop can reuse one reader. */
  reset(buf: Uint8Array, from: number, end: number): this {
    this.buf = buf;
    this.pos = from;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw corrupt("it ends early");
    return this.buf[this.pos++] as number;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 56) throw corrupt("a varint is too long");
    }
  }

  sint(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f32(): number {
    this.copy(4);
    return scratchView.getFloat32(0, true);
  }

  f64(): number {
    this.copy(8);
    return scratchView.getFloat64(0, true);
  }

  number(): number {
    const v = this.scalar();
    if (typeof v !== "number") throw corrupt("a number was expected");
    return v;
  }

  scalar(): Scalar {
    const head = this.varint();
    const tag = head % 8;
    switch (tag) {
      case TAG_INT: {
        const z = (head - tag) / 8;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case TAG_F32:
        return this.f32();
      case TAG_F64:
        return this.f64();
      case TAG_FALSE:
        return false;
      case TAG_TRUE:
        return true;
      case TAG_STRING: {
        const rest = (head - tag) / 8;
        const length = Math.floor(rest / 2);
        if (rest % 2 === 1) return this.utf16(length);
        this.need(length);
        const s = utf8.decode(this.buf.subarray(this.pos, this.pos + length));
        this.pos += length;
        return s;
      }
      case TAG_NULL:
        return null;
      case TAG_DECIMAL: {
        const rest = (head - tag) / 8;
        const scale = DECIMAL_SCALES[rest % 4] as number;
        const z = (rest - (rest % 4)) / 4;
        return (z % 2 === 0 ? z / 2 : -(z + 1) / 2) / scale;
      }
      default:
        throw corrupt(`unknown value tag ${tag}`);
    }
  }

  private utf16(units: number): string {
    this.need(units * 2);
    let s = "";
    for (let i = 0; i < units; i++) {
      s += String.fromCharCode(this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8));
      this.pos += 2;
    }
    return s;
  }

  private copy(n: number): void {
    this.need(n);
    for (let i = 0; i < n; i++) scratch[i] = this.buf[this.pos + i]!;
    this.pos += n;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw corrupt("it ends early");
  }
}

export function corrupt(why: string): AggError {
  return new AggError("store", `a bucket state cannot be decoded: ${why}`, {
    hint: "the store may be corrupt or written by another version of agg; re-run `agg backfill` for the affected features",
  });
}
