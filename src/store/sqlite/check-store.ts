import { checksumMatches } from "../bucket-checksum.js";
import type { Db } from "./open-store.js";

/** A bucket record whose state does not match its checksum. */
export interface DamagedBucket {
  readonly seriesId: number;
  readonly bucketMs: number;
  /** The group key's values ('' columns left out). */
  readonly keys: readonly string[];
  readonly start: number;
}

/** What `agg check --store` found. */
export interface StoreReport {
  /** What `PRAGMA integrity_check` reported; empty when it passed. */
  readonly integrity: readonly string[];
  /** Bucket states whose checksum was verified. */
  readonly buckets: number;
  /** The first damaged buckets (at most the limit), in table order. */
  readonly damaged: readonly DamagedBucket[];
  readonly damagedCount: number;
}

/** Problems listed at most, per kind. */
const LIMIT = 100;

/**
 * Verifies a store: SQLite's own integrity check (pages, b-trees, indexes), then every
 * bucket state against its checksum. Reads only; a table too damaged to read is one more
 * integrity problem, not an exception.
 */
export function checkStore(db: Db, limit = LIMIT): StoreReport {
  const integrity: string[] = [];
  try {
    for (const { integrity_check: line } of db.pragma(`integrity_check(${limit})`) as { integrity_check: string }[]) if (line !== "ok") integrity.push(line);
  } catch (error) {
    integrity.push(`the integrity check could not finish: ${error instanceof Error ? error.message : String(error)}`);
  }
  const damaged: DamagedBucket[] = [];
  let buckets = 0;
  let damagedCount = 0;
  try {
    const all = db.prepare("SELECT series_id, bucket_ms, k0, k1, k2, k3, start, state, crc FROM buckets").raw(true);
    for (const row of all.iterate() as IterableIterator<[number, number, string, string, string, string, number, unknown, unknown]>) {
      buckets++;
      if (checksumMatches(row[6], row[7], row[8])) continue;
      if (damagedCount++ < limit) damaged.push({ seriesId: row[0], bucketMs: row[1], keys: [row[2], row[3], row[4], row[5]].filter((k) => k !== ""), start: row[6] });
    }
  } catch (error) {
    integrity.push(`the bucket table cannot be read to the end: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { integrity, buckets, damaged, damagedCount };
}
