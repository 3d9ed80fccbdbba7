import { corrupt, type ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";
import { hashHigh, hashLow } from "./scalar-hash.js";

/** Precision 14: 16,384 registers, standard error 1.04 / sqrt(m) = 0.81%. */
export const HLL_P = 14;
export const HLL_M = 1 << HLL_P;
/** Hash bits left for the rank: 53 - p. Register values run 0..Q + 1. */
const Q = 53 - HLL_P;

/** Sets the register of a 53-bit hash: index = top p bits, rank = leading zeros + 1 of the rest. */
export function hllInsert(registers: Uint8Array, h: number): void {
  const hi = hashHigh(h);
  const index = hi >>> (32 - HLL_P);
  const mid = hi & ((1 << (32 - HLL_P)) - 1); // 18 bits
  const lo = hashLow(h); // 21 bits
  const rank =
    mid !== 0
      ? Math.clz32(mid) - HLL_P + 1
      : lo !== 0
        ? 32 - HLL_P + Math.clz32(lo) - 11 + 1
        : Q + 1;
  if (rank > (registers[index] as number)) registers[index] = rank;
}

export function hllMerge(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < HLL_M; i++) {
    const v = other[i] as number;
    if (v > (into[i] as number)) into[i] = v;
  }
}

/**
 * Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
 * sketches", 2017): unbiased from 0 to far beyond 2^32 without empirical bias tables or a
 * switch to linear counting.
 */
export function hllEstimate(registers: Uint8Array): number {
  const counts = new Array<number>(Q + 2).fill(0);
  for (let i = 0; i < HLL_M; i++) {
    const v = registers[i] as number;
    counts[v] = (counts[v] as number) + 1;
  }
  let z = HLL_M * tau(1 - (counts[Q + 1] as number) / HLL_M);
  for (let k = Q; k >= 1; k--) z = 0.5 * (z + (counts[k] as number));
  z += HLL_M * sigma((counts[0] as number) / HLL_M);
  return (HLL_M * HLL_M) / (2 * Math.LN2 * z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === prev) return z / 3;
  }
}

/**
 * Registers are 6-bit values. Mostly-empty sets (a few thousand values) are written as
 * (index gap, value) pairs; fuller ones packed 4 registers per 3 bytes (12 KiB). A dense
 * sketch holds 512+ rows, so its ~0.1 ms encode is under 0.2 us per row.
 */
export function hllWrite(w: ByteWriter, registers: Uint8Array): void {
  let used = 0;
  for (let i = 0; i < HLL_M; i++) if (registers[i] !== 0) used++;
  if (used * 3 < (HLL_M * 3) / 4) {
    w.varint(used * 2);
    const out = new Uint8Array(used * 3); // a gap below 2^14 takes at most 2 bytes, plus 1 for the value
    let pos = 0;
    let last = -1;
    for (let i = 0; i < HLL_M; i++) {
      const v = registers[i] as number;
      if (v === 0) continue;
      const gap = i - last - 1;
      if (gap < 0x80) out[pos++] = gap;
      else {
        out[pos++] = (gap & 0x7f) | 0x80;
        out[pos++] = gap >>> 7;
      }
      out[pos++] = v;
      last = i;
    }
    w.bytes(out.subarray(0, pos));
    return;
  }
  w.varint(1);
  const out = new Uint8Array((HLL_M * 3) / 4);
  for (let i = 0, pos = 0; i < HLL_M; i += 4, pos += 3) {
    const a = registers[i] as number;
    const b = registers[i + 1] as number;
    const c = registers[i + 2] as number;
    const d = registers[i + 3] as number;
    out[pos] = (a << 2) | (b >> 4);
    out[pos + 1] = ((b & 15) << 4) | (c >> 2);
    out[pos + 2] = ((c & 3) << 6) | d;
  }
  w.bytes(out);
}

export function hllRead(r: ByteReader): Uint8Array {
  const registers = new Uint8Array(HLL_M);
  const head = r.varint();
  if (head % 2 === 0) {
    let i = -1;
    for (let k = head / 2; k > 0; k--) {
      i += r.varint() + 1;
      if (i >= HLL_M) throw corrupt("a sketch register is out of range");
      registers[i] = r.u8();
    }
    return checked(registers);
  }
  for (let i = 0; i < HLL_M; i += 4) {
    const x = r.u8();
    const y = r.u8();
    const z = r.u8();
    registers[i] = x >> 2;
    registers[i + 1] = ((x & 3) << 4) | (y >> 4);
    registers[i + 2] = ((y & 15) << 2) | (z >> 6);
    registers[i + 3] = z & 63;
  }
  return checked(registers);
}

function checked(registers: Uint8Array): Uint8Array {
  let max = 0;
  for (let i = 0; i < HLL_M; i++) max = Math.max(max, registers[i] as number);
  if (max > Q + 1) throw corrupt("a sketch register is out of range");
  return registers;
}
