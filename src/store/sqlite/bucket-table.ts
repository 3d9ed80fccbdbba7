import type { Statement } from "better-sqlite3";
import { bucketChecksum, checksumBytes, checksumMatches, corruptBucket, storedChecksum } from "../bucket-checksum.js";
import { KEY_COLUMNS, PACKED_STATES } from "./bucket-columns.js";
import type { Db } from "./open-store.js";
import type { BucketRecord, BucketStore, StoredRange } from "../store-port.js";

export type { BucketRecord, StoredRange } from "../store-port.js";

/** Pads a group key to the four key columns ('' where unused). */
function padKeys(keys: readonly string[]): [string, string, string, string] {
  return [keys[0] ?? "", keys[1] ?? "", keys[2] ?? "", keys[3] ?? ""];
}

const EMPTY_RANGE: StoredRange = Object.freeze({ count: 0, keys: [], starts: [], rows: [], bytes: new Uint8Array(0), offsets: [0], damaged: new Set<number>() });

interface RawBucket {
  k0: string;
  k1: string;
  k2: string;
  k3: string;
  start: number;
  rows: number;
  state: Uint8Array;
  crc: Uint8Array;
}

/**
 * The bucket table, one record per (series, bucket size, group key, bucket start).
 * Queries read it through bucket-runs.ts: one entity's buckets are an index range scan
 * from any key position, k0 through the primary key, k1..k3 through their own indexes.
 */
export class BucketTable implements BucketStore {
  private readonly getOne;
  private readonly putOne;
  private readonly deleteOne;
  private readonly deleteBetween;
  private readonly newest;
  private readonly ranges = new Map<number, Statement>();

  /**
   * Every state read is checked against its checksum: `get`, `getMany` and `scan` throw a
   * "store corrupt" error on a mismatch; `readRange` lists the damaged buckets (a backfill
   * rewrites them) and reports each to `onDamaged`.
   */
  constructor(
    private readonly db: Db,
    private readonly onDamaged?: (seriesId: number, bucketMs: number, keys: readonly string[], start: number) => void,
  ) {
    this.getOne = db.prepare<[number, number, string, string, string, string, number], { rows: number; state: Uint8Array; crc: Uint8Array }>(
      "SELECT rows, state, crc FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = ? AND k1 = ? AND k2 = ? AND k3 = ? AND start = ?",
    );
    this.putOne = db.prepare<[number, number, string, string, string, string, number, number, Uint8Array, Uint8Array]>(
      "INSERT INTO buckets (series_id, bucket_ms, k0, k1, k2, k3, start, rows, state, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET rows = excluded.rows, state = excluded.state, crc = excluded.crc",
    );
    this.deleteOne = db.prepare<[number, number, string, string, string, string, number]>(
      "DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = ? AND k1 = ? AND k2 = ? AND k3 = ? AND start = ?",
    );
    // The next two run on buckets_by_start (migration 2), which only `start + 0` matches:
    // a time range of the size, not every key.
    this.deleteBetween = db.prepare<[number, number, number, number]>("DELETE FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start + 0 >= ? AND start + 0 < ?");
    this.newest = db.prepare<[number, number], { start: number }>("SELECT start + 0 AS start FROM buckets WHERE series_id = ? AND bucket_ms = ? ORDER BY start + 0 DESC LIMIT 1");
  }

  get(seriesId: number, bucketMs: number, keys: readonly string[], start: number): { rows: number; state: Uint8Array } | undefined {
    const stored = this.getOne.get(seriesId, bucketMs, ...padKeys(keys), start);
    if (stored !== undefined && !checksumMatches(start, stored.state, stored.crc)) throw corruptBucket({ seriesId, bucketMs, keys, start });
    return stored;
  }

  /**
   * The stored buckets among `probes` (group key, start) of one (series, size); absent
   * ones are left out. Calls `found` with each probe's index. One lookup per probe: a
   * single statement over a JSON list of probes measured no faster.
   */
  getMany(seriesId: number, bucketMs: number, probes: readonly { readonly keys: readonly string[]; readonly start: number }[], found: (index: number, state: Uint8Array) => void): void {
    for (let i = 0; i < probes.length; i++) {
      const probe = probes[i]!;
      const stored = this.getOne.get(seriesId, bucketMs, ...padKeys(probe.keys), probe.start);
      if (stored === undefined) continue;
      if (!checksumMatches(probe.start, stored.state, stored.crc)) throw corruptBucket({ seriesId, bucketMs, keys: probe.keys, start: probe.start });
      found(i, stored.state);
    }
  }

  /**
   * The buckets of a (series, size) with start in [from, to), in no particular order,
   * packed (see StoredRange): backfill compares them with what it recomputed.
   */
  readRange(seriesId: number, bucketMs: number, keyCount: number, from: number, to: number): StoredRange {
    let statement = this.ranges.get(keyCount);
    if (statement === undefined) {
      const keys = KEY_COLUMNS.slice(0, keyCount).map((k) => `json_group_array(${k})`);
      statement = this.db
        .prepare(`SELECT ${keys.join(", ")}, json_group_array(start), json_group_array(rows), ${PACKED_STATES} FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start + 0 >= ? AND start + 0 < ?`)
        .raw(true);
      this.ranges.set(keyCount, statement);
    }
    const row = statement.get(seriesId, bucketMs, from, to) as (string | Uint8Array | null)[];
    const bytes = row[keyCount + 3] as Uint8Array | null;
    if (bytes === null) return EMPTY_RANGE;
    const keys = row.slice(0, keyCount).map((column) => JSON.parse(column as string) as string[]);
    const starts = JSON.parse(row[keyCount] as string) as number[];
    const lengths = JSON.parse(row[keyCount + 2] as string) as number[];
    const offsets = new Array<number>(lengths.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
    // The checksums follow the states (PACKED_STATES). Checksums of another length cannot be
    // lined up with the states: every bucket then counts as damaged.
    const base = bytes.length - 4 * starts.length;
    const aligned = base === offsets[starts.length];
    const damaged = new Set<number>();
    for (let i = 0; i < starts.length; i++) {
      if (aligned && bucketChecksum(starts[i]!, bytes, offsets[i]!, offsets[i + 1]!) === storedChecksum(bytes, base + 4 * i)) continue;
      damaged.add(i);
      this.onDamaged?.(seriesId, bucketMs, keys.map((column) => column[i]!), starts[i]!);
    }
    return { count: starts.length, keys, starts, rows: JSON.parse(row[keyCount + 1] as string) as number[], bytes, offsets, damaged };
  }

  /** The newest bucket start of a (series, size), or null when it has no buckets. */
  newestStart(seriesId: number, bucketMs: number): number | null {
    return this.newest.get(seriesId, bucketMs)?.start ?? null;
  }

  put(seriesId: number, bucketMs: number, keys: readonly string[], start: number, rows: number, state: Uint8Array): void {
    this.putOne.run(seriesId, bucketMs, ...padKeys(keys), start, rows, state, checksumBytes(start, state));
  }

  /** Writes many buckets of one (series, size). */
  putMany(seriesId: number, bucketMs: number, records: readonly BucketRecord[]): void {
    // One statement per bucket: a multi-row INSERT needs a statement journal (a temp
    // file), which costs more than the calls it saves.
    for (const r of records) this.putOne.run(seriesId, bucketMs, ...padKeys(r.keys), r.start, r.rows, r.state, checksumBytes(r.start, r.state));
  }

  /** Deletes one bucket; returns how many were deleted (0 or 1). */
  delete(seriesId: number, bucketMs: number, keys: readonly string[], start: number): number {
    return this.deleteOne.run(seriesId, bucketMs, ...padKeys(keys), start).changes;
  }

  /** Every bucket of a (series, size) with start in [from, to), in key order (for backfill and checks). */
  *scan(seriesId: number, bucketMs: number, keyCount: number, from = -Number.MAX_SAFE_INTEGER, to = Number.MAX_SAFE_INTEGER): IterableIterator<BucketRecord> {
    const statement = this.db.prepare<[number, number, number, number], RawBucket>(
      "SELECT k0, k1, k2, k3, start, rows, state, crc FROM buckets WHERE series_id = ? AND bucket_ms = ? AND start >= ? AND start < ? ORDER BY k0, k1, k2, k3, start",
    );
    for (const r of statement.iterate(seriesId, bucketMs, from, to)) {
      const keys = [r.k0, r.k1, r.k2, r.k3].slice(0, keyCount);
      if (!checksumMatches(r.start, r.state, r.crc)) throw corruptBucket({ seriesId, bucketMs, keys, start: r.start });
      yield { keys, start: r.start, rows: r.rows, state: r.state };
    }
  }

  /** Deletes a (series, size)'s buckets with start in [from, to); returns how many. */
  deleteRange(seriesId: number, bucketMs: number, from: number, to: number): number {
    return this.deleteBetween.run(seriesId, bucketMs, from, to).changes;
  }
}
