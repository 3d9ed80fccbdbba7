/**
 * A feature project and event generator for the `agg query` CLI tests. The tests compute
 * every expected value from the raw events themselves; nothing here calls agg.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { seededTxns, toNdjson, type Txn } from "../helpers/events.js";
import { runAgg, tempDir, writeFiles, type CliResult } from "../helpers/cli.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2024, 2, 1); // 2024-03-01T00:00:00Z

const TRANSACTION = `import { features, string, float, datetime } from "agg";
export const Transaction = features("transaction", {
  id: string().primary(),
  user_id: string().references("user.id"),
  merchant_id: string().references("merchant.id"),
  amount: float(),
  category: string().optional(),
  ts: datetime().featureTime(),
});
`;

const STREAMS = `import { stream } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";
const message = z.object({ id: z.string(), user_id: z.string(), merchant_id: z.string(), amount: z.number(), category: z.string().nullable(), ts: z.string() });
export const live = stream({ source: "transactions", message, output: Transaction, resolve: (m) => m });
/** Rows only: buckets are left to backfill (SPEC 1.3), as for a continuous-buffer feature. */
export const rowsOnly = stream({ source: "transactions_raw", message, output: Transaction, resolve: (m) => m, updatesMaterializedAggregations: false });
`;

// Every (series, bucket size) also serves a 365d or "all" window, so retention never drops
// a bucket the tests read.
const USER = `import { features, string, windowed, groupByWindowed } from "agg";
import { Transaction } from "./transaction.js";
const hourly = { bucketDuration: "1h" } as const;
export const User = features("user", {
  id: string().primary(),
  spend: windowed("1h", "3h", "1d", "3d", "365d", { expression: Transaction.amount.sum(), materialization: hourly, default: 0 }),
  n: windowed("1h", "1d", "365d", { expression: Transaction.amount.count(), materialization: hourly }),
  avg: windowed("1d", "365d", { expression: Transaction.amount.mean(), materialization: hourly }),
  low: windowed("90m", "2d", "365d", { expression: Transaction.amount.min(), materialization: hourly }),
  high: windowed("1d", "3d", "all", { expression: Transaction.amount.max(), materialization: { bucketDuration: "1d" } }),
  spend6h: windowed("6h", "365d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "6h" } }),
  anchored: windowed("1d", "2d", "365d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "1d", bucketStart: "2024-01-01T06:00:00Z" } }),
  spread: windowed("1d", "365d", { expression: Transaction.amount.std(), materialization: hourly }),
  var: windowed("1d", "365d", { expression: Transaction.amount.variance(), materialization: hourly }),
  merchants: windowed("1d", "365d", { expression: Transaction.merchant_id.approxCountDistinct(), materialization: hourly }),
  median: windowed("1d", "365d", { expression: Transaction.amount.approxPercentile(0.5), materialization: hourly }),
  top_cat: windowed("1d", "365d", { expression: Transaction.category.approxTopK(2), materialization: hourly }),
  first3: windowed("1d", "365d", { expression: Transaction.amount.minByN(Transaction.ts, 3), materialization: hourly }),
  last3: windowed("1d", "365d", { expression: Transaction.amount.maxByN(Transaction.ts, 3), materialization: hourly }),
  by_merchant: groupByWindowed("1d", "365d", { expression: Transaction.amount.sum(), groupBy: [Transaction.merchant_id], materialization: hourly }),
  raw: windowed("1h", "1d", { expression: Transaction.amount.sum() }),
  food: windowed("1h", "1d", "365d", {
    expression: Transaction.amount.where(Transaction.category.eq("food")).sum(),
    materialization: { bucketDuration: "10m", continuousBufferDuration: "2h" },
  }),
});
`;

const MERCHANT = `import { features, string, groupByWindowed } from "agg";
import { Transaction } from "./transaction.js";
export const Merchant = features("merchant", {
  id: string().primary(),
  by_user: groupByWindowed("1d", "365d", { expression: Transaction.amount.sum(), groupBy: [Transaction.user_id], materialization: { bucketDuration: "1h" } }),
});
`;

/** A temp folder with the query test project in ./features; the store is ./.agg/store.db. */
export function queryWorkspace(): string {
  return writeFiles(tempDir("agg-query-"), {
    "features/transaction.ts": TRANSACTION,
    "features/streams.ts": STREAMS,
    "features/user.ts": USER,
    "features/merchant.ts": MERCHANT,
  });
}

export type { Txn } from "../helpers/events.js";

/** Seeded events over [start, start + span) (seededTxns), ids `${prefix}0`, `${prefix}1`, ... */
export function makeEvents(count: number, start: number, spanMs: number, seed: number, prefix = "t"): Txn[] {
  return seededTxns(count, start, spanMs, seed, { id: (i) => `${prefix}${i}`, categories: ["food", "travel", "bars", null] });
}

/** Ingests `txns` through the real CLI from an NDJSON file. */
export function ingest(dir: string, txns: readonly Txn[], source = "transactions"): CliResult {
  const file = `events-${source}-${txns[0]?.id ?? "none"}.ndjson`;
  writeFiles(dir, { [file]: toNdjson(txns.map((t) => ({ ...t, ts: new Date(t.ts).toISOString() }))) });
  const result = runAgg(["ingest", "--source", source, "--file", file], { cwd: dir });
  if (result.code !== 0) throw new Error(`ingest failed (${result.code}): ${result.stderr}`);
  return result;
}

export interface QueryJson {
  at: string;
  rows: { id: string; values: Record<string, unknown>; status: Record<string, string>; explain?: Record<string, any> }[];
  warnings: string[];
}

/** `agg query ... --json`, parsed; throws with stderr when it fails. */
export function queryJson(dir: string, args: readonly string[]): QueryJson {
  const result = runAgg(["query", ...args, "--json"], { cwd: dir });
  if (result.code !== 0) throw new Error(`query failed (${result.code}): ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as QueryJson;
}

/**
 * Sets the materialized-through time of every series straight in the SQLite file: what a
 * backfill through M records (SPEC 5.1). Done by hand until tests can run `agg backfill`.
 */
export function setMaterializedThrough(dir: string, through: number | null): void {
  const db = new Database(join(dir, ".agg", "store.db"));
  try {
    db.prepare("UPDATE series SET materialized_through = ?").run(through);
  } finally {
    db.close();
  }
}

/** Independent of agg: floor to a bucket boundary. */
export const floorTo = (t: number, size: number, anchor = 0) => Math.floor((t - anchor) / size) * size + anchor;

/** SPEC 5.3: every bucket [s, e) with e > T - W and s <= T, as the half-open time range they hold. */
export function overlapRange(T: number, W: number, B: number, anchor = 0): [number, number] {
  return [floorTo(T - W, B, anchor), Math.min(floorTo(T, B, anchor) + B, T + 1)];
}

/** The events of one entity (by `key`) with lo <= ts < hi that `keep` keeps. */
export function select(txns: readonly Txn[], id: string, lo: number, hi: number, keep: (t: Txn) => boolean = () => true, key: "user_id" | "merchant_id" = "user_id"): Txn[] {
  return txns.filter((t) => t[key] === id && t.ts >= lo && t.ts < hi && keep(t));
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
