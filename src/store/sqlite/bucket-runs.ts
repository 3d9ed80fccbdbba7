import type { Statement } from "better-sqlite3";
import { bucketChecksum, corruptBucket, storedChecksum } from "../bucket-checksum.js";
import { KEY_COLUMNS, PACKED_STATES } from "./bucket-columns.js";
import type { Db } from "./open-store.js";

/**
 * One entity's buckets of a (series, bucket size), read for a query. The states are
 * packed into one buffer: better-sqlite3 copies every BLOB it returns into a Buffer of
 * its own (about a microsecond each), so a 30-bucket read costs 30 copies row by row and
 * one copy packed.
 */
export interface BucketRun {
  readonly count: number;
  readonly starts: readonly number[];
  /** The states back to back, in the order of `starts` (then their checksums: read through `offsets`). */
  readonly bytes: Uint8Array;
  /** State i is `bytes[offsets[i], offsets[i + 1])`. */
  readonly offsets: readonly number[];
  /** Bucket indexes oldest first, when `starts` is not already in order; else null. */
  readonly order: readonly number[] | null;
  /** Multi-key series: each bucket's group key (series order); null for one-key series. */
  readonly keys: readonly (readonly string[])[] | null;
}

export const EMPTY_RUN: BucketRun = Object.freeze({ count: 0, starts: [], bytes: new Uint8Array(0), offsets: [0], order: null, keys: null });

/**
 * The aggregates step through the same rows in the same order, so slots, lengths, keys
 * and bytes line up bucket for bucket; that order is the index's, and `toRun` sorts by
 * start when it is not (sorting in SQL would cost more than the read). Starts travel as
 * slots, `(start - firstStart) / slotMs`: small integers cost SQLite and JSON.parse far
 * less than 13-digit ones, and stored starts are bucket-aligned, so the division is exact
 * (`slotMs` is the bucket size on a fixed grid; on a zone's calendar, whose days differ in
 * length, a second, on which every local day starts)
 * (better-sqlite3 binds every JS number as a REAL: the casts keep the arithmetic integer).
 * The states come packed, with their checksums (PACKED_STATES).
 */
function packedColumns(keyCount: number): string {
  const keys = keyCount === 1 ? "" : ", json_group_array(json_array(k0, k1, k2, k3))";
  return `json_group_array((start - CAST(? AS INTEGER)) / CAST(? AS INTEGER)), ${PACKED_STATES}${keys}`;
}

/** The key filter that lets SQLite use the primary key (k0) or a k1..k3 partial index. */
function keyFilter(keyCount: number, keyIndex: number): string {
  if (keyCount === 1) return " AND k1 = '' AND k2 = '' AND k3 = ''";
  return keyIndex === 0 ? "" : ` AND ${KEY_COLUMNS[keyIndex]} <> ''`;
}

/**
 * The read's SQL; parameters: firstStart, slotMs (for the slots), then series id, bucket
 * size, the key value (many: a JSON array of them), firstStart, lastStart.
 */
export function bucketRunSql(keyCount: number, keyIndex: number, many: boolean): string {
  const key = column(keyIndex);
  const where = `series_id = ? AND bucket_ms = ? AND ${key} ${many ? "IN (SELECT value FROM json_each(?))" : "= ?"}${keyFilter(keyCount, keyIndex)} AND start >= ? AND start <= ?`;
  return many ? `SELECT ${key}, ${packedColumns(keyCount)} FROM buckets WHERE ${where} GROUP BY ${key}` : `SELECT ${packedColumns(keyCount)} FROM buckets WHERE ${where}`;
}

function column(keyIndex: number): string {
  const name = KEY_COLUMNS[keyIndex];
  if (name === undefined) throw new RangeError(`key index ${keyIndex} out of range`);
  return name;
}

const statements = new WeakMap<Db, Map<string, Statement>>();

function cached(db: Db, key: string, sql: () => string): Statement {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, (cache = new Map()));
  let statement = cache.get(key);
  if (statement === undefined) cache.set(key, (statement = db.prepare(sql()).raw(true)));
  return statement;
}

type PackedRow = [starts: string | null, lengths: string | null, bytes: Uint8Array | null, keys: string | null | undefined];

/** Which read a run came from, to name a damaged bucket. */
interface RunPlace {
  readonly seriesId: number;
  readonly bucketMs: number;
  /** What a start's slot counts (see packedColumns). */
  readonly slotMs: number;
  readonly keyIndex: number;
  readonly value: string;
}

/**
 * Unpacks a read, verifying every state against its checksum: a damaged one is refused
 * ("store corrupt"), never merged into an answer.
 */
function toRun(row: PackedRow | undefined, keyCount: number, firstStart: number, place: RunPlace): BucketRun {
  if (row === undefined || row[2] === null) return EMPTY_RUN;
  const { bucketMs, slotMs } = place;
  const starts = JSON.parse(row[0]!) as number[];
  const lengths = JSON.parse(row[1]!) as number[];
  const bytes = row[2];
  const count = starts.length;
  const keys = keyCount === 1 ? null : (JSON.parse(row[3]!) as string[][]).map((k) => k.slice(0, keyCount));
  // The checksums follow the states, 4 bytes each (big-endian).
  let crc = bytes.length - 4 * count;
  const offsets = new Array<number>(count + 1);
  offsets[0] = 0;
  let sorted = true;
  for (let i = 0; i < count; i++, crc += 4) {
    offsets[i + 1] = offsets[i]! + lengths[i]!;
    starts[i] = firstStart + starts[i]! * slotMs;
    if (bucketChecksum(starts[i]!, bytes, offsets[i]!, offsets[i + 1]!) !== storedChecksum(bytes, crc)) throw corruptBucket({ seriesId: place.seriesId, bucketMs, keys: keys?.[i]?.slice() ?? [place.value], start: starts[i]! });
    if (i > 0 && starts[i]! < starts[i - 1]!) sorted = false;
  }
  // A checksum missing or of another length: the states and checksums cannot be lined up.
  if (offsets[count] !== bytes.length - 4 * count) throw corruptBucket({ seriesId: place.seriesId, bucketMs, keys: keyCount === 1 ? [place.value] : KEY_COLUMNS.slice(0, keyCount).map((_, k) => (k === place.keyIndex ? place.value : "*")), start: null });
  const order = sorted ? null : Array.from({ length: count }, (_, i) => i).sort((a, b) => starts[a]! - starts[b]!);
  return { count, starts, bytes, offsets, order, keys };
}

/**
 * The buckets whose group key has `value` at `keyIndex` and whose start lies in
 * [firstStart, lastStart]: one range scan of the primary key (k0) or of a k1..k3 index.
 */
export function readBucketRun(db: Db, seriesId: number, bucketMs: number, keyCount: number, keyIndex: number, value: string, firstStart: number, lastStart: number, slotMs = bucketMs): BucketRun {
  const key = column(keyIndex);
  const statement = cached(db, `one:${keyCount}:${key}`, () => bucketRunSql(keyCount, keyIndex, false));
  const row = statement.get(firstStart, slotMs, seriesId, bucketMs, value, firstStart, lastStart) as PackedRow | undefined;
  return toRun(row, keyCount, firstStart, { seriesId, bucketMs, slotMs, keyIndex, value });
}

/**
 * `readBucketRun` for many entities in one statement; runs come back in the order of
 * `values` (EMPTY_RUN for an entity with no bucket). The values travel as one JSON array,
 * so one prepared statement serves any count.
 */
export function readBucketRuns(db: Db, seriesId: number, bucketMs: number, keyCount: number, keyIndex: number, values: readonly string[], firstStart: number, lastStart: number, slotMs = bucketMs): BucketRun[] {
  const key = column(keyIndex);
  const statement = cached(db, `many:${keyCount}:${key}`, () => bucketRunSql(keyCount, keyIndex, true));
  const index = new Map<string, number>();
  for (let i = 0; i < values.length; i++) index.set(values[i]!, i);
  const out = new Array<BucketRun>(values.length).fill(EMPTY_RUN);
  for (const row of statement.all(firstStart, slotMs, seriesId, bucketMs, JSON.stringify(values), firstStart, lastStart) as [string, ...PackedRow][]) {
    const i = index.get(row[0]);
    if (i !== undefined) out[i] = toRun([row[1], row[2], row[3], row[4]], keyCount, firstStart, { seriesId, bucketMs, slotMs, keyIndex, value: row[0] });
  }
  return out;
}
