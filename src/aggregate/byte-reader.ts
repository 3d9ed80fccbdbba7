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

/** Reads what a `ByteWriter` wrote; throws a "store" error on truncated or foreign bytes. */
export class ByteReader {
  private dataView: DataView | null = null;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  /** Made on first use: most small states hold no float, and decode is on the query path. */
  private get view(): DataView {
    return (this.dataView ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw corrupt("it ends early");
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
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
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
      s += String.fromCharCode(this.view.getUint16(this.pos, true));
      this.pos += 2;
    }
    return s;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw corrupt("it ends early");
  }
}

export function corrupt(why: string): AggError {
  return new AggError("store", `a bucket state cannot be decoded: ${why}`, {
    hint: "the store may be corrupt or written by another version of agg; re-run `agg backfill` for the affected features",
  });
}
