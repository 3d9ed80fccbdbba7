/**
 * Shared by the backfill, schedule and jobs CLI tests: a workspace holding the ingest
 * tests' `ledger` project, and the buckets a series must hold computed here from raw
 * entries with plain arithmetic. Stores are read back with plain SQL.
 */
import Database from "better-sqlite3";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir, writeFiles } from "../helpers/cli.js";
import { sortBuckets, toMs, type ExpectedBucket, type LedgerMessage, type LedgerSeries } from "../fixtures/ingest/ledger-events.js";
import type { StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

export const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");

/** A temp folder with the ledger project as ./features, plus `files` (paths relative to it). */
export function ledgerWorkspace(files: Record<string, string> = {}): string {
  const dir = tempDir("agg-backfill-");
  cpSync(LEDGER, join(dir, "features"), { recursive: true });
  return writeFiles(dir, files);
}

export const storePathOf = (dir: string): string => join(dir, ".agg", "store.db");

/** The last version of each entry, without the entries the live resolver skips. */
export function finalEntries(messages: readonly LedgerMessage[]): LedgerMessage[] {
  return [...new Map(messages.filter((m) => m.kind !== "test").map((m) => [m.id, m])).values()];
}

/** An entry as a `txn` row: the namespace's own field names (what offline sources hold). */
export function txnRow(m: LedgerMessage): Record<string, string | number | null> {
  return { id: m.id, account_id: m.account, shop_id: m.shop, amount: m.amount, kind: m.kind, ts: toMs(m.ts) };
}

/**
 * The buckets `series` must hold for `entries` (one version per id), with `clock` the
 * latest event time the series has seen: grouped by key and bucket start, minus buckets
 * ending at or before `clock - retention - bucket`, and only starts in `within` when given.
 */
export function bucketsFrom(entries: readonly LedgerMessage[], series: LedgerSeries, clock: number, within?: (bucketMs: number) => [number, number]): ExpectedBucket[] {
  const out: ExpectedBucket[] = [];
  for (const { bucketMs, retentionMs } of series.sizes) {
    const groups = new Map<string, LedgerMessage[]>();
    for (const m of entries) {
      if (!series.keep(m)) continue;
      const start = Math.floor(toMs(m.ts) / bucketMs) * bucketMs;
      const id = JSON.stringify([series.keys(m), start]);
      groups.set(id, [...(groups.get(id) ?? []), m]);
    }
    const [from, to] = within?.(bucketMs) ?? [-Infinity, Infinity];
    for (const [id, rows] of groups) {
      const [keys, start] = JSON.parse(id) as [string[], number];
      if (start + bucketMs <= clock - retentionMs - bucketMs || start < from || start >= to) continue;
      // agg reads -0 as 0, so min and max cannot depend on the order rows arrive in.
      const amounts = rows.map((r) => r.amount).filter((a): a is number => a !== null).map((a) => a + 0);
      const sum = amounts.reduce((a, b) => a + b, 0);
      const all = { sum, count: rows.length, mean: amounts.length ? sum / amounts.length : null, min: amounts.length ? Math.min(...amounts) : null, max: amounts.length ? Math.max(...amounts) : null };
      out.push({ keys, bucketMs, start, rows: rows.length, values: Object.fromEntries(series.aggs.map((a) => [a, all[a]])) });
    }
  }
  return sortBuckets(out);
}

/** The id the store gave the series the fixture calls `series.name`. */
export function seriesIdOf(snapshot: StoreSnapshot, series: LedgerSeries): number {
  const keys = series.name === "by_shop" ? ["account_id", "shop_id"] : ["account_id"];
  const found = snapshot.series.filter((s) => JSON.stringify(s.keys) === JSON.stringify(keys) && (s.filter !== "") === (series.name === "food"));
  if (found.length !== 1) throw new Error(`expected one stored series for ${series.name}, found ${found.length}`);
  return found[0]!.id;
}

/** A series' stored buckets in the shape `bucketsFrom` returns. */
export function storedBuckets(snapshot: StoreSnapshot, series: LedgerSeries): ExpectedBucket[] {
  const id = seriesIdOf(snapshot, series);
  return sortBuckets(snapshot.buckets.filter((b) => b.series === id).map((b) => ({ keys: b.keys, bucketMs: b.bucketMs, start: b.start, rows: b.rows, values: b.values as Record<string, number | null> })));
}

/** Every bucket record as stored (state bytes in hex), for byte-for-byte comparisons. */
export function rawBuckets(dir: string): { series: number; bucket_ms: number; k0: string; k1: string; start: number; rows: number; state: string }[] {
  return sql(dir, "SELECT series_id AS series, bucket_ms, k0, k1, start, rows, hex(state) AS state FROM buckets ORDER BY series_id, bucket_ms, k0, k1, k2, k3, start");
}

/** Runs a read-only query on a workspace's store. */
export function sql<T = Record<string, unknown>>(dir: string, query: string, ...params: unknown[]): T[] {
  const db = new Database(storePathOf(dir), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

export const floorTo = (t: number, size: number): number => Math.floor(t / size) * size;
export const ceilTo = (t: number, size: number): number => Math.ceil(t / size) * size;
