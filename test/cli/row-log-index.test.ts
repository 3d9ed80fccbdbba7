/**
 * The row log's per-entity index for a series with buckets longer than a day (an
 * unbounded window): only a rebuild after a replaced row reads such a bucket by entity,
 * so the index is made by the first rebuild that needs it, not by every ingest, and kept.
 * Values stay equal to plain sums of the final rows whichever way the rebuild reads.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { runAgg, tempDir, writeFiles } from "../helpers/cli.js";
import { generateTransactions, prng, toNdjson, type TestTransaction } from "../helpers/events.js";

const PROJECT = {
  "features/transaction.ts": `import { features, string, float, datetime } from "agg";
export const Transaction = features("transaction", { id: string().primary(), user_id: string().references("user.id"), merchant_id: string(), amount: float(), category: string().optional(), ts: datetime().featureTime() });`,
  "features/user.ts": `import { features, string, windowed } from "agg";
import { Transaction } from "./transaction.js";
export const User = features("user", {
  id: string().primary(),
  total: windowed("all", { expression: Transaction.amount.sum(), materialization: true, default: 0 }),
  day_sum: windowed("1d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "1h" }, default: 0 }),
});`,
  "features/streams.ts": `import { stream } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";
export const transactions = stream({ source: "transactions", message: z.object({ id: z.string(), user_id: z.string(), merchant_id: z.string(), amount: z.number(), category: z.string().nullable(), ts: z.string() }), output: Transaction, resolve: (m) => m });`,
};
const START = Date.UTC(2024, 2, 1);
const DAY = 86_400_000;

function indexes(store: string): string[] {
  const db = new Database(store, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rows_by_transaction_%'").pluck().all() as string[]).sort();
  } finally {
    db.close();
  }
}

function totals(dir: string, users: readonly string[], at: number): Record<string, number> {
  const result = runAgg(["query", "--feature", "user.total", "--at", new Date(at).toISOString(), "--json", ...users.flatMap((u) => ["--id", u])], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  const out = JSON.parse(result.stdout) as { rows: { id: string; values: Record<string, number> }[] };
  // One window: its value, whatever the window's name.
  return Object.fromEntries(out.rows.map((r) => [r.id, Object.values(r.values)[0]!]));
}

function plainTotals(rows: readonly TestTransaction[], users: readonly string[]): Record<string, number> {
  const sums = Object.fromEntries(users.map((u) => [u, 0]));
  for (const r of rows) sums[r.user_id] = (sums[r.user_id] ?? 0) + r.amount;
  return sums;
}

describe("the row-log index of an unbounded window", () => {
  it("is made by the first rebuild of a replaced row, not by ingest, and values stay exact", () => {
    const dir = writeFiles(tempDir(), PROJECT);
    const store = join(dir, ".agg", "store.db");
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    // Amounts in quarters: plain sums are then exact in any order, as agg's are.
    const quarters = (r: TestTransaction) => ({ ...r, amount: Math.round(r.amount * 4) / 4 });
    const rows = generateTransactions({ count: 3000, seed: 5, users: users.length, merchants: 4, start: START, spanMs: 10 * DAY }).map(quarters);
    const ingest = (input: readonly TestTransaction[]) => {
      const result = runAgg(["ingest", "--source", "transactions", "--json"], { cwd: dir, input: toNdjson(input) });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { replaced: number };
    };
    const at = START + 10 * DAY;

    ingest(rows);
    expect(indexes(store)).toEqual([]);
    expect(totals(dir, users, at)).toEqual(plainTotals(rows, users));

    // Re-sends with other amounts: their buckets (the unbounded one too) are rebuilt.
    const random = prng(9);
    const resent = rows.filter(() => random() < 0.03).map((r) => ({ ...r, amount: Math.round(random() * 40_000) / 4 }));
    expect(ingest(resent).replaced).toBe(resent.length);
    expect(indexes(store)).toEqual(["rows_by_transaction_user_id"]);
    const final = new Map(rows.map((r) => [r.id, r]));
    for (const r of resent) final.set(r.id, r);
    expect(totals(dir, users, at)).toEqual(plainTotals([...final.values()], users));

    // Kept by a later ingest that replaces nothing.
    const more = generateTransactions({ count: 200, seed: 6, users: users.length, merchants: 4, start: START + 10 * DAY, spanMs: DAY }).map((r) => ({ ...quarters(r), id: `late-${r.id}` }));
    ingest(more);
    expect(indexes(store)).toEqual(["rows_by_transaction_user_id"]);
    expect(totals(dir, users, START + 11 * DAY)).toEqual(plainTotals([...final.values(), ...more], users));
  });
});
