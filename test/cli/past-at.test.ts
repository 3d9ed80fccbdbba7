/**
 * Workflow 3 of "never a silent wrong value": `--at` in the past, where retention has
 * dropped the buckets a short window needs. The value comes from the row log (status
 * row_log), equal to plain arithmetic over the raw events; a `retention` longer than the
 * window keeps the buckets, and after a backfill the same value comes from them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { DAY, inOverlappingBuckets, sum } from "../helpers/reference.js";

const MIN = 60_000;
const events = generateTransactions({ count: 4000, seed: 31, users: 5, start: Date.UTC(2024, 1, 1), spanMs: 40 * DAY });
const newest = Math.max(...events.map((e) => Date.parse(e.ts)));
const AT = newest - 5 * DAY - 7 * MIN;
const IDS = ["u0", "u1", "u2"];

interface Answer {
  rows: { id: string; values: Record<string, number>; status: Record<string, string> }[];
  warnings: string[];
}

describe("a query in the past, where retention dropped the buckets", () => {
  const cwd = sampleWorkspace();
  const ask = (...features: string[]): Answer => {
    const run = runAgg(["query", ...features.flatMap((f) => ["--feature", f]), ...IDS.flatMap((id) => ["--id", id]), "--at", new Date(AT).toISOString(), "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Answer;
  };
  const foodRows = (id: string, windowMs: number) => inOverlappingBuckets(events.filter((e) => e.user_id === id && e.category === "food"), AT, windowMs, 10 * MIN);
  const food = (id: string, windowMs: number) => sum(foodRows(id, windowMs).map((e) => e.amount));

  beforeAll(() => {
    writeFileSync(join(cwd, "events.ndjson"), toNdjson(events));
    const run = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd });
    expect(run.code, run.stderr).toBe(0);
  });

  it("is computed from the row log, exactly, and says so", () => {
    const answer = ask("user.food_spend");
    for (const row of answer.rows) {
      for (const [fqn, windowMs] of [["user.food_spend__3600__", 3_600_000], ["user.food_spend__86400__", DAY]] as const) {
        expect(row.values[fqn], `${row.id} ${fqn}`).toBeCloseTo(food(row.id, windowMs), 9);
        expect(row.status[fqn]).toBe(foodRows(row.id, windowMs).length === 0 ? "default" : "row_log");
      }
    }
    // Past retention is not something a backfill fixes: the status says it, with no warning.
    expect(answer.warnings).toEqual([]);
  });

  it("a backfill reports the rows older than retention (count and time range) instead of dropping them silently", () => {
    const run = runAgg(["backfill", "--feature", "user.food_spend", "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const [past, ...more] = (JSON.parse(run.stdout) as { olderThanRetention: { bucket: string; rows: number; from: string; before: string; inRowLog: boolean }[] }).olderThanRetention;
    expect(more).toEqual([]);
    const before = Date.parse(past!.before);
    const dropped = events.filter((e) => Date.parse(e.ts) < before);
    expect(past).toMatchObject({ bucket: "10m", rows: dropped.length, inRowLog: true });
    expect(Date.parse(past!.from)).toBe(Math.min(...dropped.map((e) => Date.parse(e.ts))));
    // The retention clock: one day (the largest window) and one bucket before the newest event.
    expect(before).toBe(Math.floor((newest - DAY - 10 * MIN) / (10 * MIN)) * 10 * MIN);
    const text = runAgg(["backfill", "--feature", "user.food_spend"], { cwd });
    expect(text.stderr).toContain(`note: series `);
    expect(text.stderr).toContain(`${dropped.length.toLocaleString("en-US")} rows from `);
    expect(text.stderr).toContain("older than its retention (1d): in no bucket; queries compute their windows from the row log");
  });

  it("a retention longer than the window keeps the buckets: after a backfill the same values come from them", () => {
    const user = join(cwd, "features", "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace('continuousBufferDuration: "2h",', 'continuousBufferDuration: "2h",\n      retention: "10d",'));
    const listed = JSON.parse(runAgg(["list", "--json", "--feature", "user.food_spend"], { cwd }).stdout) as { retention: string }[];
    expect(listed.map((r) => r.retention)).toEqual(["10d"]);
    const before = ask("user.food_spend");
    const filled = runAgg(["backfill", "--feature", "user.food_spend"], { cwd });
    expect(filled.code, filled.stderr).toBe(0);
    const after = ask("user.food_spend");
    expect(after.rows.map((r) => r.values)).toEqual(before.rows.map((r) => r.values));
    for (const row of after.rows) {
      for (const [fqn, windowMs] of [["user.food_spend__3600__", 3_600_000], ["user.food_spend__86400__", DAY]] as const) {
        expect(row.status[fqn]).toBe(foodRows(row.id, windowMs).length === 0 ? "default" : "present");
      }
    }
    expect(after.warnings).toEqual([]);
  });
});

describe("ingest of rows older than retention", () => {
  it("reports them (count and time range) in text and JSON; their windows come from the row log", () => {
    const cwd = sampleWorkspace();
    const start = Date.UTC(2024, 2, 1);
    const inOrder = generateTransactions({ count: 200, seed: 5, users: 3, start, spanMs: 10 * DAY }).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    // Food rows of day 1 arriving after day 10: older than food_spend's 1d retention, within txn_sum's 30d.
    const late = [0, 1, 2].map((i) => ({ id: `late${i}`, user_id: "u0", merchant_id: "m0", amount: 10 + i, category: "food", ts: new Date(start + i * 3_600_000).toISOString() }));
    writeFileSync(join(cwd, "events.ndjson"), toNdjson([...inOrder, ...late]));
    const run = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).olderThanRetention).toEqual({ rows: 3, from: "2024-03-01T00:00:00Z", to: "2024-03-01T02:00:00Z" });
    writeFileSync(join(cwd, "more.ndjson"), toNdjson(late.map((l) => ({ ...l, id: `${l.id}-again` }))));
    const text = runAgg(["ingest", "--source", "transactions", "--file", "more.ndjson"], { cwd });
    expect(text.stderr).toContain("older than retention: 3 rows (2024-03-01T00:00:00Z to 2024-03-01T02:00:00Z) logged but in no bucket of some sizes");
    const at = start + 3 * 3_600_000;
    const q = JSON.parse(runAgg(["query", "--feature", "user.food_spend__1d__", "--id", "u0", "--at", new Date(at).toISOString(), "--json"], { cwd }).stdout) as { rows: { values: Record<string, number>; status: Record<string, string> }[] };
    const all = [...inOrder, ...late, ...late.map((l) => ({ ...l, id: `${l.id}-again` }))].filter((e) => e.user_id === "u0" && e.category === "food");
    expect(q.rows[0]!.values["user.food_spend__86400__"]).toBeCloseTo(sum(inOverlappingBuckets(all, at, DAY, 10 * MIN).map((e) => e.amount)), 9);
    expect(q.rows[0]!.status["user.food_spend__86400__"]).toBe("row_log");
  });
});
