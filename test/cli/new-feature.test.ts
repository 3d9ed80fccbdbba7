import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { DAY, inOverlappingBuckets } from "../helpers/reference.js";

// A feature added after its namespace already has history must not look filled until a
// backfill has filled it: its new series starts as "needs backfill".
test("a series added after rows were logged needs a backfill before it is served", () => {
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

  // Ingest goes on, but does not pretend the new size is complete; a query refuses it.
  const more = runAgg(["ingest", "--source", "transactions", "--file", "second.ndjson"], { cwd });
  expect(more.code).toBe(0);
  expect(status()).toEqual(["needs backfill"]);
  const at = new Date(start + 9 * DAY).toISOString();
  const refused = runAgg(["query", "--feature", "user.txn_min", "--id", "u1", "--at", at], { cwd });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("agg backfill --feature user.txn_min");

  // A backfill fills the history; the value then matches the raw events.
  expect(runAgg(["backfill", "--feature", "user.txn_min"], { cwd }).code).toBe(0);
  expect(status()).toEqual(["ok"]);
  const answer = JSON.parse(runAgg(["query", "--feature", "user.txn_min", "--id", "u1", "--at", at, "--json"], { cwd }).stdout) as { rows: { values: Record<string, number> }[] };
  const expected = Math.min(...inOverlappingBuckets(events.filter((e) => e.user_id === "u1"), Date.parse(at), 2 * DAY, DAY / 2).map((e) => e.amount));
  expect(answer.rows[0]!.values["user.txn_min__172800__"]).toBe(expected);
});
