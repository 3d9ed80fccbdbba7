import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, tempDir } from "../helpers/cli.js";
import { LEDGER_SERIES, expectedBuckets, ledgerInput, sortBuckets, toCsv, toMs, toNdjsonLines, type LedgerSeries } from "../fixtures/ingest/ledger-events.js";
import { inPool, runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");
const input = ledgerInput();
const ndjson = toNdjsonLines(input.messages);

function ledgerWorkspace(): string {
  const dir = tempDir("agg-ingest-");
  cpSync(LEDGER, join(dir, "features"), { recursive: true });
  writeFileSync(join(dir, "events.ndjson"), ndjson);
  writeFileSync(join(dir, "events.csv"), toCsv(input.messages));
  return dir;
}

const storeOf = (dir: string) => readStore(join(dir, ".agg", "store.db"));

/** The stored buckets of the series the fixture describes as `series`, in the expected shape. */
function storedBuckets(snapshot: StoreSnapshot, series: LedgerSeries) {
  const keyNames = series.name === "by_shop" ? ["account_id", "shop_id"] : ["account_id"];
  const stored = snapshot.series.filter((s) => JSON.stringify(s.keys) === JSON.stringify(keyNames) && (s.filter !== "") === (series.name === "food"));
  expect(stored).toHaveLength(1);
  const id = stored[0]!.id;
  return sortBuckets(snapshot.buckets.filter((b) => b.series === id).map((b) => ({ keys: b.keys, bucketMs: b.bucketMs, start: b.start, rows: b.rows, values: b.values })));
}

function expectBucketsMatchInput(snapshot: StoreSnapshot) {
  for (const series of LEDGER_SERIES) {
    const expected = expectedBuckets(input.messages, series);
    expect(storedBuckets(snapshot, series), series.name).toEqual(expected.buckets);
  }
}

describe("agg ingest: buckets equal an independent computation from the raw messages", () => {
  const runs: Record<string, { dir: string; code: number; stdout: string; stderr: string }> = {};

  beforeAll(async () => {
    const cases = [
      ["small batches", ["--file", "events.ndjson", "--batch-size", "7"]],
      ["one batch", ["--file", "events.ndjson"]],
      ["csv", ["--file", "events.csv", "--format", "csv", "--batch-size", "50"]],
    ] as const;
    await inPool(
      2,
      cases.map(([name, args]) => async () => {
        const dir = ledgerWorkspace();
        runs[name] = { dir, ...(await runAggAsync(["ingest", "--source", "ledger", ...args, "--json"], { cwd: dir })) };
      }),
    );
  });

  it("the fixture exercises late, stale, duplicate, replaced and skipped messages", () => {
    // Guards the test itself: without stale buckets retention would go untested.
    for (const series of LEDGER_SERIES) expect(expectedBuckets(input.messages, series).stale, series.name).toBeGreaterThan(0);
    expect(input.messages.filter((m, i) => i > 0 && toMs(m.ts) < toMs(input.messages[i - 1]!.ts)).length).toBeGreaterThan(100);
  });

  it.each(["small batches", "one batch", "csv"])("%s: sum, count, mean, min and max per bucket at both sizes, after retention", (name) => {
    const run = runs[name]!;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expectBucketsMatchInput(storeOf(run.dir));
  });

  it("reports what happened as JSON", () => {
    const ids = new Set(input.messages.filter((m) => m.kind !== "test").map((m) => m.id));
    const summary = JSON.parse(runs["small batches"]!.stdout) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(["source", "messagesRead", "rowsInserted", "duplicates", "replaced", "rejected", "skipped", "seriesUpdated", "bucketsWritten", "bucketsDeleted", "rowLogOnly", "needsBackfill", "olderThanRetention", "seconds"]);
    // The input holds 8 entries ten days older than the rest: older than every retention.
    const late = input.messages.filter((m) => m.id.startsWith("late"));
    const old = summary.olderThanRetention as { rows: number; from: string; to: string };
    expect(old.rows).toBeGreaterThanOrEqual(late.length);
    expect(Date.parse(old.from)).toBe(Math.min(...late.map((m) => toMs(m.ts))));
    expect(summary).toMatchObject({
      source: "ledger",
      messagesRead: input.messages.length,
      rowsInserted: ids.size,
      duplicates: input.duplicates,
      replaced: input.replaced,
      rejected: 0,
      skipped: input.skipped,
      seriesUpdated: 3,
      rowLogOnly: false,
      needsBackfill: [],
    });
    expect(summary.bucketsWritten).toBeGreaterThan(0);
    expect(summary.seconds).toBeTypeOf("number");
  });

  it("logs the last content of every row, also rows too old for any bucket, and keeps the latest event time", () => {
    const snapshot = storeOf(runs["small batches"]!.dir);
    const final = new Map(input.messages.filter((m) => m.kind !== "test").map((m) => [m.id, m]));
    expect(snapshot.rows.map((r) => r.pk).sort()).toEqual([...final.keys()].sort());
    for (const row of snapshot.rows) {
      const m = final.get(row.pk)!;
      expect(row.ts).toBe(toMs(m.ts));
      expect(JSON.parse(row.data)).toEqual({ id: m.id, account_id: m.account, shop_id: m.shop, amount: m.amount, kind: m.kind, ts: toMs(m.ts) });
    }
    const latest = Math.max(...input.messages.filter((m) => m.kind !== "test").map((m) => toMs(m.ts)));
    for (const series of snapshot.series) expect(series.maxEventTime).toBe(latest);
  });

  it("CSV input logs exactly the rows NDJSON input does", () => {
    expect(storeOf(runs.csv!.dir).rows).toEqual(storeOf(runs["one batch"]!.dir).rows);
  });

  it("re-running the same file leaves the store as it was", async () => {
    const dir = runs["one batch"]!.dir;
    const before = storeOf(dir);
    const again = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson", "--batch-size", "13", "--json"], { cwd: dir });
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as Record<string, number>;
    expect(summary.rowsInserted).toBe(0);
    // Each changed re-send flips its row back and forth once more; nothing else changes.
    expect(summary.replaced).toBe(2 * input.replaced);
    const after = storeOf(dir);
    expect(after.rows).toEqual(before.rows);
    expect(after.buckets).toEqual(before.buckets);
    expectBucketsMatchInput(after);
  });
});
