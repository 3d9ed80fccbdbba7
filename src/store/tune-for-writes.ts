import type { Db } from "./open-store.js";

/**
 * Settings for a connection that writes many rows and buckets (ingest, backfill). A write
 * lands at a random place of the bucket and row B-trees, so a page cache that holds their
 * hot part saves a read from the file per write; SQLite allocates it only as pages are
 * used, and it stays within the 300 MB a bulk ingest may take.
 */
export function tuneForWrites(db: Db): void {
  db.pragma(`cache_size = -${process.env.AGG_CACHE_KB ?? 65536}`);
}
