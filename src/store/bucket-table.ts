import type { Statement } from "better-sqlite3";
import type { Db } from "./open-store.js";

/**
 * A bucket record: the state of all of a series' aggregations at one size, for one group
 * key. Key values are non-empty strings ('' marks an unused key column).
 */
export interface BucketRecord {
  /** Group key values in the series' group-key order (1 to 4 of them). */
  readonly keys: readonly string[];
  readonly start: number;
  readonly rows: number;
  readonly state: Uint8Array;
}

const KEY_COLUMNS = ["k0", "k1", "k2", "k3"] as const;

function probeId(keys: readonly string[], start: number): string {
  return JSON.stringify([keys, start]);
}

/** Pads a group key to the four key columns ('' where unused). */
function padKeys(keys: readonly string[]): [string, string, string, string] {
  return [keys[0] ?? "", keys[1] ?? "", keys[2] ?? "", keys[3] ?? ""];
}

/** A bucket as stored: `[k0, k1, k2, k3, start, rows, state]` ('' in unused key columns). */
export type RawBucketRow = [string, string, string, string, number, number, Uint8Array];

interface RawBucket {
  k0: string;
  k1: string;
  k2: string;
  k3: string;
  start: number;
  rows: number;
  state: Uint8Array;
}

/**
 * The bucket table, one record per (series, bucket size, group key, bucket start).
 * Reads for one entity are index range scans from any key position: k0 through the
 * primary key, k1..k3 through their own indexes.
 */
export class BucketTable {
  private readonly getOne;
  private readonly putOne;
  private readonly deleteOne;
  private readonly deleteBetween;
  private readonly deleteUpTo;
  private readonly newest;
  private readonly getSome;
  private between: Statement | undefined;
  private readonly reads = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.getOne = db.prepare<[number, number, string, string, string, string, number], { rows: number; state: Uint8Array }>(
      "SELECT rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = ? AND k1 = ? AND k2 = ? AND k3 = ? AND start = ?",
    );
    this.putOne = db.prepare<[number, number, string, string, string, string, number, number, Uint8Array]>(
      "INSERT INTO buckets (series_id, bucket_ms, k0, k1, k2, k3, start, rows, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET rows = excluded.rows, state = excluded.state",
    );
    this.deleteOne = db.prepare<[number, number, string, string, string, string, number]>(
      "DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = ? AND k1 = ? AND k2 = ? AND k3 = ? AND start = ?",
    );
    // The next three run on buckets_by_start (migration 2), which only `start + 0` matches:
    // a time range of the size, not every key.
    this.deleteBetween = db.prepare<[number, number, number, number]>("DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start + 0 >= ? AND start + 0 < ?");
    this.deleteUpTo = db.prepare<[number, number, number]>("DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start + 0 <= ?");
    this.newest = db.prepare<[number, number], { start: number }>("SELECT start + 0 AS start FROM buckets WHERE series_id = ? AND bucket_ms = ? ORDER BY start + 0 DESC LIMIT 1");
    // One statement for many buckets: the probes travel as one JSON array of [k0, k1, k2, k3, start].
    this.getSome = db
      .prepare(
        "SELECT b.k0, b.k1, b.k2, b.k3, b.start, b.rows, b.state FROM json_each(?) AS j CROSS JOIN buckets AS b WHERE b.series_id = ? AND b.bucket_ms = ? AND b.k0 = j.value ->> 0 AND b.k1 = j.value ->> 1 AND b.k2 = j.value ->> 2 AND b.k3 = j.value ->> 3 AND b.start = j.value ->> 4",
      )
      .raw(true);
  }

  get(seriesId: number, bucketMs: number, keys: readonly string[], start: number): { rows: number; state: Uint8Array } | undefined {
    return this.getOne.get(seriesId, bucketMs, ...padKeys(keys), start);
  }

  /**
   * The stored buckets among `probes` (group key, start) of one (series, size), read in
   * one statement; absent ones are left out. Calls `found` with each probe's index.
   */
  getMany(seriesId: number, bucketMs: number, probes: readonly { readonly keys: readonly string[]; readonly start: number }[], found: (index: number, state: Uint8Array) => void): void {
    // Chunks keep the JSON parameter and the lookup map small.
    for (let from = 0; from < probes.length; from += 2000) {
      const part = probes.slice(from, from + 2000);
      const index = new Map<string, number>();
      const list = part.map((p, i) => {
        const padded = padKeys(p.keys);
        index.set(probeId(padded, p.start), from + i);
        return [...padded, p.start];
      });
      for (const [k0, k1, k2, k3, start, , state] of this.getSome.all(JSON.stringify(list), seriesId, bucketMs) as [string, string, string, string, number, number, Uint8Array][]) {
        const i = index.get(probeId([k0, k1, k2, k3], start));
        if (i !== undefined) found(i, state);
      }
    }
  }

  /**
   * The buckets of a (series, size) with start in [from, to), in no particular order, as
   * raw rows `[k0, k1, k2, k3, start, rows, state]` (backfill compares them with what it
   * recomputed; no object per bucket).
   */
  readRange(seriesId: number, bucketMs: number, from: number, to: number): RawBucketRow[] {
    this.between ??= this.db.prepare("SELECT k0, k1, k2, k3, start, rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start + 0 >= ? AND start + 0 < ?").raw(true);
    return this.between.all(seriesId, bucketMs, from, to) as RawBucketRow[];
  }

  /** The newest bucket start of a (series, size), or null when it has no buckets. */
  newestStart(seriesId: number, bucketMs: number): number | null {
    return this.newest.get(seriesId, bucketMs)?.start ?? null;
  }

  put(seriesId: number, bucketMs: number, keys: readonly string[], start: number, rows: number, state: Uint8Array): void {
    this.putOne.run(seriesId, bucketMs, ...padKeys(keys), start, rows, state);
  }

  /** Writes many buckets of one (series, size). */
  putMany(seriesId: number, bucketMs: number, records: readonly BucketRecord[]): void {
    // One statement per bucket: a multi-row INSERT needs a statement journal (a temp
    // file), which costs more than the calls it saves.
    for (const r of records) this.putOne.run(seriesId, bucketMs, ...padKeys(r.keys), r.start, r.rows, r.state);
  }

  /** Deletes one bucket; returns how many were deleted (0 or 1). */
  delete(seriesId: number, bucketMs: number, keys: readonly string[], start: number): number {
    return this.deleteOne.run(seriesId, bucketMs, ...padKeys(keys), start).changes;
  }

  /**
   * Buckets whose group key has `value` at position `keyIndex` and whose start lies in
   * [firstStart, lastStart], ordered by start. For a one-key series this is one range scan.
   */
  read(seriesId: number, bucketMs: number, keyCount: number, keyIndex: number, value: string, firstStart: number, lastStart: number): BucketRecord[] {
    const rows = this.readStatement(keyCount, keyIndex).all(seriesId, bucketMs, value, firstStart, lastStart) as RawBucket[];
    return rows.map((r) => ({ keys: [r.k0, r.k1, r.k2, r.k3].slice(0, keyCount), start: r.start, rows: r.rows, state: r.state }));
  }

  /** Every bucket of a (series, size) with start in [from, to), in key order (for backfill and checks). */
  *scan(seriesId: number, bucketMs: number, keyCount: number, from = -Number.MAX_SAFE_INTEGER, to = Number.MAX_SAFE_INTEGER): IterableIterator<BucketRecord> {
    const statement = this.db.prepare<[number, number, number, number], RawBucket>(
      "SELECT k0, k1, k2, k3, start, rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start >= ? AND start < ? ORDER BY k0, k1, k2, k3, start",
    );
    for (const r of statement.iterate(seriesId, bucketMs, from, to)) yield { keys: [r.k0, r.k1, r.k2, r.k3].slice(0, keyCount), start: r.start, rows: r.rows, state: r.state };
  }

  /** Deletes a (series, size)'s buckets with start in [from, to); returns how many. */
  deleteRange(seriesId: number, bucketMs: number, from: number, to: number): number {
    return this.deleteBetween.run(seriesId, bucketMs, from, to).changes;
  }

  /** Retention: deletes buckets that end at or before `cutoff`; returns how many. */
  deleteEndingBy(seriesId: number, bucketMs: number, cutoff: number): number {
    // start + bucketMs <= cutoff, written so that the start index serves it.
    return this.deleteUpTo.run(seriesId, bucketMs, cutoff - bucketMs).changes;
  }

  private readStatement(keyCount: number, keyIndex: number): Statement {
    const column = KEY_COLUMNS[keyIndex];
    if (column === undefined) throw new RangeError(`key index ${keyIndex} out of range`);
    const cacheKey = `${keyCount}:${column}`;
    let statement = this.reads.get(cacheKey);
    if (statement === undefined) {
      // A one-key series pins the unused columns, so the primary key is one range scan on
      // start; k1..k3 carry `<> ''` so SQLite picks their partial indexes.
      const partial = keyCount === 1 ? " AND k1 = '' AND k2 = '' AND k3 = ''" : keyIndex === 0 ? "" : ` AND ${column} <> ''`;
      statement = this.db.prepare(
        `SELECT k0, k1, k2, k3, start, rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND ${column} = ?${partial} AND start >= ? AND start <= ? ORDER BY start`,
      );
      this.reads.set(cacheKey, statement);
    }
    return statement;
  }
}


const manyReads = new WeakMap<Db, Map<string, Statement>>();

/**
 * `BucketTable.read` for many entities in one statement: buckets whose key at `keyIndex`
 * is one of `values`, with start in [firstStart, lastStart], ordered by that key, then
 * start. The values travel as one JSON array, so one prepared statement serves any count.
 */
export function readBucketsForKeys(db: Db, seriesId: number, bucketMs: number, keyCount: number, keyIndex: number, values: readonly string[], firstStart: number, lastStart: number): BucketRecord[] {
  const column = KEY_COLUMNS[keyIndex];
  if (column === undefined) throw new RangeError(`key index ${keyIndex} out of range`);
  let cache = manyReads.get(db);
  if (cache === undefined) manyReads.set(db, (cache = new Map()));
  const cacheKey = `${keyCount}:${column}`;
  let statement = cache.get(cacheKey);
  if (statement === undefined) {
    // The same index choices as `read`: pinned unused columns, or `<> ''` for k1..k3.
    const partial = keyCount === 1 ? " AND k1 = '' AND k2 = '' AND k3 = ''" : keyIndex === 0 ? "" : ` AND ${column} <> ''`;
    statement = db.prepare(
      `SELECT k0, k1, k2, k3, start, rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND ${column} IN (SELECT value FROM json_each(?))${partial} AND start >= ? AND start <= ? ORDER BY ${column}, start`,
    );
    cache.set(cacheKey, statement);
  }
  const rows = statement.all(seriesId, bucketMs, JSON.stringify(values), firstStart, lastStart) as RawBucket[];
  return rows.map((r) => ({ keys: [r.k0, r.k1, r.k2, r.k3].slice(0, keyCount), start: r.start, rows: r.rows, state: r.state }));
}

const oneKeyReads = new WeakMap<Db, Statement>();

/**
 * The lean single-entity read of a one-key series: `BucketTable.read` without the key
 * columns (they are known), for the query's hot path.
 */
export function readOneKeyBuckets(db: Db, seriesId: number, bucketMs: number, value: string, firstStart: number, lastStart: number): BucketRecord[] {
  let statement = oneKeyReads.get(db);
  if (statement === undefined) {
    statement = db.prepare("SELECT start, rows, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = ? AND k1 = '' AND k2 = '' AND k3 = '' AND start >= ? AND start <= ? ORDER BY start").raw(true);
    oneKeyReads.set(db, statement);
  }
  const rows = statement.all(seriesId, bucketMs, value, firstStart, lastStart) as [number, number, Uint8Array][];
  const keys = [value];
  const out = new Array<BucketRecord>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [start, count, state] = rows[i]!;
    out[i] = { keys, start, rows: count, state };
  }
  return out;
}
