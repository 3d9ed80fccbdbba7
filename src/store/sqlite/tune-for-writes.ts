import type { Db } from "./open-store.js";

/**
 * Settings for a connection that writes many rows and buckets (ingest, backfill). A write
 * lands at a random place of the bucket B-tree, so a page cache that holds its hot part
 * (32 MB, against SQLite's 2 MB default) saves a read from the file per write, and a
 * transaction's changed pages stay in memory until it commits. SQLite allocates the
 * cache only as pages are used. 48 MB measured no faster on the 1M-row benchmark and
 * took 48 MB more peak RSS (294 MB against 246 MB).
 */
export function tuneForWrites(db: Db): void {
  db.pragma("cache_size = -32768");
}
