/**
 * A 53-bit hash of a scalar (it fits a JS number exactly, so a plain `Set<number>` holds
 * hashes without allocation per value). Two 32-bit lanes in the style of MurmurHash3's
 * x86 variants, with different constants per lane, then the murmur finaliser on each.
 * Numbers hash their float64 bits (-0 as 0), strings their UTF-16 code units; the type
 * is mixed into the seed, so `1`, `"1"` and `true` differ.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

const SEED_NUMBER = 0x9747b28c;
const SEED_STRING = 0x2f8f_21e1;
const SEED_BOOL = 0x5bd1e995;

let lane1 = 0;
let lane2 = 0;

function block(k: number): void {
  let k1 = Math.imul(k, 0xcc9e2d51);
  k1 = (k1 << 15) | (k1 >>> 17);
  lane1 ^= Math.imul(k1, 0x1b873593);
  lane1 = (lane1 << 13) | (lane1 >>> 19);
  lane1 = (Math.imul(lane1, 5) + 0xe6546b64) | 0;

  let k2 = Math.imul(k, 0x239b961b);
  k2 = (k2 << 16) | (k2 >>> 16);
  lane2 ^= Math.imul(k2, 0xab0e9789);
  lane2 = (lane2 << 17) | (lane2 >>> 15);
  lane2 = (Math.imul(lane2, 5) + 0x38495ab5) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function finish(length: number): number {
  lane1 ^= length;
  lane2 ^= length;
  // Cross the lanes before finalising so each output bit depends on both.
  lane1 = (lane1 + lane2) | 0;
  lane2 = (lane2 + lane1) | 0;
  const hi = fmix(lane1);
  const lo = fmix(lane2);
  return hi * 2 ** 21 + (lo >>> 11);
}

/** The 53-bit hash of a non-null scalar. */
export function hashScalar(v: string | number | boolean): number {
  if (typeof v === "number") {
    f64[0] = v === 0 ? 0 : v;
    lane1 = SEED_NUMBER;
    lane2 = ~SEED_NUMBER;
    block(u32[0] as number);
    block(u32[1] as number);
    return finish(8);
  }
  if (typeof v === "boolean") {
    lane1 = SEED_BOOL;
    lane2 = ~SEED_BOOL;
    block(v ? 1 : 0);
    return finish(1);
  }
  lane1 = SEED_STRING;
  lane2 = ~SEED_STRING;
  const n = v.length;
  let i = 0;
  for (; i + 1 < n; i += 2) block(v.charCodeAt(i) | (v.charCodeAt(i + 1) << 16));
  if (i < n) block(v.charCodeAt(i) ^ 0x10000); // the odd unit, marked so "a" differs from "a\0"
  return finish(n * 2);
}

/** Splits a 53-bit hash into its top 32 bits and low 21 bits. */
export function hashHigh(h: number): number {
  return Math.floor(h / 2 ** 21);
}

export function hashLow(h: number): number {
  return h % 2 ** 21;
}
