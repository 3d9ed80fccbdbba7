import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { DAY, inOverlappingBuckets } from "../helpers/reference.js";

// A feature added after its namespace already has history must not look filled until a
// backfill has filled it: its new series starts as "needs backfill", and its values come
// from the row log meanwhile (never a silent 0 for the history its buckets lack).
test("a series added after rows were logged is served from the row log until a backfill fills it", () => {
  const cwd = sampleWorkspace();
  const start = Date.UTC(2024, 1, 1);
  const events = generateTransactions({ count: 400, seed: 5, users: 4, start, spanMs: 10 * DAY });
  writeFileSync(join(cwd, "first.ndjson"), toNdjson(events.slice(0, 300)));
  writeFileSync(join(cwd, "second.ndjson"), toNdjson(events.slice(300)));
  expect(runAgg(["ingest", "--source", "transactions", "--file", "first.ndjson"], { cwd }).code).toBe(0);

  // Add user.txn_min: a new aggregation on a new bucket size, so a new layout of series 3.
  const user = join(cwd, "features", "user.ts");
  writeFileSync(user, readFileSync(user, "utf8").replace("  txn_max: windowed(", '  txn_min: windowed("2d", {\n    expression: Transaction.amount.min(),\n    materialization: { bucketDuration: "12h" },\n  }),\n  txn_max: windowed('));
  const status = () =>
    (JSON.parse(runAgg(["list", "--json", "--wide", "--feature", "user.txn_min"], { cwd }).stdout) as { status: string }[]).map((r) => r.status);
  expect(status()).toEqual(["needs backfill"]);

  // Ingest goes on, folding new rows into the new size, but does not pretend it holds the
  // history: until a backfill, a query computes the value from the row log and says so.
  const more = runAgg(["ingest", "--source", "transactions", "--file", "second.ndjson"], { cwd });
  expect(more.code).toBe(0);
  expect(more.stderr).toContain("agg backfill --feature user.txn_min");
  expect(status()).toEqual(["needs backfill"]);
  const at = new Date(start + 9 * DAY).toISOString();
  const expected = Math.min(...inOverlappingBuckets(events.filter((e) => e.user_id === "u1"), Date.parse(at), 2 * DAY, DAY / 2).map((e) => e.amount));
  const ask = () => {
    const run = runAgg(["query", "--feature", "user.txn_min", "--id", "u1", "--at", at, "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { rows: { values: Record<string, number>; status: Record<string, string> }[] }).rows[0]!;
  };
  const fromLog = ask();
  expect(fromLog.values["user.txn_min__172800__"]).toBe(expected);
  expect(fromLog.status["user.txn_min__172800__"]).toBe("row_log");

  // A backfill fills the history; the value is the same, now from the buckets.
  expect(runAgg(["backfill", "--feature", "user.txn_min"], { cwd }).code).toBe(0);
  expect(status()).toEqual(["ok"]);
  const filled = ask();
  expect(filled.values["user.txn_min__172800__"]).toBe(expected);
  expect(filled.status["user.txn_min__172800__"]).toBe("present");
});
