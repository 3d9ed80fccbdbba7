import { AggError } from "../errors.js";
import { formatDuration } from "../time/duration.js";
import { formatInstant } from "../time/instant.js";

/** CRC-32 (IEEE 802.3, reflected, as zlib and PNG) lookup table. */
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 of `bytes[from, to)` (zlib's crc32; Node's zlib.crc32 needs 20.15). */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * The checksum stored with a bucket's state (the `crc` column, 4 bytes big-endian): CRC-32
 * of the state bytes `state[from, to)`, xor-ed with a mix of the bucket start, so that a
 * flip in the record's start is caught too. The mix is a bijection of each 32-bit half
 * of the start (odd multipliers), so changing either half always changes it; it costs a
 * few instructions where feeding 8 more bytes through the CRC would cost a fifth of a
 * query's checksum time (the query path verifies every state it reads).
 */
export function bucketChecksum(start: number, state: Uint8Array, from = 0, to = state.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = TABLE[(c ^ state[i]!) & 0xff]! ^ (c >>> 8);
  const mix = Math.imul((start >>> 0) ^ Math.imul(Math.floor(start / 4294967296) >>> 0, 0x9e3779b1), 0x85ebca6b);
  return (c ^ -1 ^ mix) >>> 0;
}

/** The checksum as the 4-byte BLOB the `crc` column holds. */
export function checksumBytes(start: number, state: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(bucketChecksum(start, state), 0);
  return out;
}

/** The stored checksum at `bytes[at, at + 4)` (big-endian). */
export function storedChecksum(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Whether a stored record's state matches its stored checksum (a 4-byte BLOB). */
export function checksumMatches(start: number, state: unknown, crc: unknown): boolean {
  return state instanceof Uint8Array && crc instanceof Uint8Array && crc.length === 4 && storedChecksum(crc, 0) === bucketChecksum(start, state);
}

/** Where a damaged bucket is, for the error: series, size, key and start (null: somewhere in a range). */
export interface BucketPlace {
  readonly seriesId: number;
  readonly bucketMs: number;
  readonly keys: readonly string[];
  readonly start: number | null;
}

/** The error every read path throws for a state that fails its checksum: the value is never used. */
export function corruptBucket(place: BucketPlace): AggError {
  const key = place.keys.filter((k) => k !== "").join(" ");
  const where = `series ${place.seriesId} (${formatDuration(place.bucketMs)} buckets), key ${key}${place.start === null ? "" : `, bucket ${formatInstant(place.start)}`}`;
  return new AggError("store", `store corrupt: the stored state of ${where} does not match its checksum`, {
    hint: "run `agg check --store` to list every damaged bucket, then `agg backfill` (or `agg backfill --feature F` for the features of that series) to rebuild them from the row log",
    meta: { corrupt: { series: place.seriesId, bucketMs: place.bucketMs, key: place.keys, start: place.start } },
  });
}
