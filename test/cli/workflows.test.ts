/**
 * The everyday workflows that once served a silent 0, through the real CLI, against plain
 * arithmetic over the raw events: a feature edited after ingest (workflow 1), and history
 * backfilled then a live stream (workflow 2). Workflows 3 and 4 are past-at.test.ts and
 * event-time-units.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace, tempDir } from "../helpers/cli.js";
import { generateTransactions, toNdjson, type TestTransaction } from "../helpers/events.js";
import { DAY, inOverlappingBuckets, sum } from "../helpers/reference.js";

interface Answer {
  rows: { id: string; values: Record<string, number>; status: Record<string, string> }[];
  warnings: string[];
}

function query(cwd: string, args: string[]): Answer {
  const run = runAgg(["query", ...args, "--json"], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Answer;
}

/**
 * The sample project with an offline source "april" (its rows over April 2024) and
 * live.ndjson (rows from May 1 on, over `liveDays`), for the transactions stream.
 */
function aprilWorkspace(o: { count: number; seed: number; users: number; liveDays: number }) {
  const cwd = sampleWorkspace();
  const april = generateTransactions({ count: o.count, seed: o.seed, users: o.users, start: Date.UTC(2024, 3, 1), spanMs: 30 * DAY }).map((t) => ({ ...t, id: `a${t.id}` }));
  const live = generateTransactions({ count: o.count, seed: o.seed + 1, users: o.users, start: Date.UTC(2024, 4, 1), spanMs: o.liveDays * DAY });
  mkdirSync(join(cwd, "features", "data"), { recursive: true });
  writeFileSync(join(cwd, "features", "data", "april.ndjson"), toNdjson(april));
  writeFileSync(join(cwd, "features", "april.ts"), 'import { offlineSource } from "agg";\nimport { Transaction } from "./transaction.js";\nexport const april = offlineSource({ name: "april", output: Transaction, ndjson: "data/april.ndjson" });\n');
  writeFileSync(join(cwd, "live.ndjson"), toNdjson(live));
  return { cwd, april, live };
}

describe("workflow 1: a feature edited after ingest, with no other command in between", () => {
  const cases = [
    { name: "bucketDuration 1h -> 2h", edit: (text: string) => text.replace('bucketDuration: "1h"', 'bucketDuration: "2h"'), expected: 42.5 },
    { name: "a filter added", edit: (text: string) => text.replace("expression: Transaction.amount.sum(),", "expression: Transaction.amount.where(Transaction.amount.gt(20)).sum(),"), expected: 30 },
  ];
  it.each(cases)("$name: check warns at once; query serves the new definition's value from the row log, then from buckets after a backfill", ({ edit, expected }) => {
    const cwd = tempDir();
    expect(runAgg(["init", "features"], { cwd }).code).toBe(0);
    expect(runAgg(["ingest", "--source", "transactions", "--file", "features/events.ndjson"], { cwd }).code).toBe(0);
    const args = ["--feature", "user.txn_sum__1d__", "--id", "u1", "--at", "2024-03-01T12:00:00Z"];
    expect(query(cwd, args).rows[0]!.values["user.txn_sum__86400__"]).toBe(42.5);
    const user = join(cwd, "features", "user.ts");
    const edited = edit(readFileSync(user, "utf8"));
    expect(edited).not.toBe(readFileSync(user, "utf8"));
    writeFileSync(user, edited);

    const check = runAgg(["check"], { cwd });
    expect(check.code).toBe(0);
    // A changed filter is another series, which no command has registered yet.
    expect(check.stderr).toMatch(/warning (series \d+|a new series) \(bucket \dh, user\.txn_sum\) needs a backfill/);
    const before = query(cwd, args);
    expect(before.rows[0]!.values["user.txn_sum__86400__"]).toBe(expected);
    expect(before.rows[0]!.status["user.txn_sum__86400__"]).toBe("row_log");
    expect(before.warnings.join("\n")).toContain("agg backfill --feature user.txn_sum");

    expect(runAgg(["backfill", "--feature", "user.txn_sum"], { cwd }).code).toBe(0);
    const after = query(cwd, args);
    expect(after.rows[0]!.values["user.txn_sum__86400__"]).toBe(expected);
    expect(after.rows[0]!.status["user.txn_sum__86400__"]).toBe("present");
    expect(after.warnings).toEqual([]);
  });
});

describe("workflow 2: history backfilled from an offline source, then a live stream", () => {
  it("the live period counts at once (M moves with ingest), and a bounded backfill of part of it changes nothing", () => {
    const { cwd, april, live: may } = aprilWorkspace({ count: 1500, seed: 41, users: 4, liveDays: 10 });
    const backfill = runAgg(["backfill", "--source", "april"], { cwd });
    expect(backfill.code, backfill.stderr).toBe(0);
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "live.ndjson"], { cwd });
    expect(ingest.code, ingest.stderr).toBe(0);

    const at = Date.UTC(2024, 4, 10, 23, 59);
    const all = [...april, ...may];
    const args = ["--feature", "user.txn_sum", "--feature", "user.food_spend", "--id", "u0", "--id", "u3", "--at", new Date(at).toISOString()];
    const expectExact = (answer: Answer) => {
      for (const row of answer.rows) {
        const mine = all.filter((t: TestTransaction) => t.user_id === row.id);
        for (const days of [1, 7, 30]) {
          expect(row.values[`user.txn_sum__${days * 86_400}__`], `${row.id} ${days}d`).toBeCloseTo(sum(inOverlappingBuckets(mine, at, days * DAY, DAY).map((t) => t.amount)), 9);
        }
        const food = mine.filter((t) => t.category === "food");
        for (const [fqn, windowMs] of [["user.food_spend__3600__", 3_600_000], ["user.food_spend__86400__", DAY]] as const) {
          expect(row.values[fqn], `${row.id} ${fqn}`).toBeCloseTo(sum(inOverlappingBuckets(food, at, windowMs, 600_000).map((t) => t.amount)), 9);
        }
        expect(Object.values(row.status).every((s) => s === "present" || s === "default"), JSON.stringify(row.status)).toBe(true);
      }
    };
    const live = query(cwd, args);
    expectExact(live);
    expect(live.warnings).toEqual([]);

    const bounded = runAgg(["backfill", "--lower-bound", "2024-05-05", "--upper-bound", "2024-05-07"], { cwd });
    expect(bounded.code, bounded.stderr).toBe(0);
    const again = query(cwd, args);
    expect(again.rows.map((r) => r.values)).toEqual(live.rows.map((r) => r.values));
    expectExact(again);
  });
});

describe("offline history past retention", () => {
  it("is marked partial, never a silent 0; a longer retention and a new backfill make it exact", () => {
    const { cwd, april, live } = aprilWorkspace({ count: 600, seed: 43, users: 2, liveDays: 45 });
    expect(runAgg(["backfill", "--source", "april"], { cwd }).code).toBe(0);
    // Live rows up to mid June move the clock: April's daily buckets fall out of the 30d retention.
    expect(runAgg(["ingest", "--source", "transactions", "--file", "live.ndjson"], { cwd }).code).toBe(0);
    const at = Date.UTC(2024, 3, 20, 12);
    const args = ["--feature", "user.txn_sum__7d__", "--id", "u0", "--at", new Date(at).toISOString()];
    const partial = query(cwd, args);
    expect(partial.rows[0]!.status["user.txn_sum__604800__"]).toBe("partial");
    expect(partial.warnings.join("\n")).toContain("which does not hold the rows an offline source backfilled there");

    const user = join(cwd, "features", "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace('txn_sum: windowed("1d", "7d", "30d", {\n    expression: Transaction.amount.sum(),\n    materialization: { bucketDuration: "1d" },', 'txn_sum: windowed("1d", "7d", "30d", {\n    expression: Transaction.amount.sum(),\n    materialization: { bucketDuration: "1d", retention: "120d" },'));
    expect(readFileSync(user, "utf8")).toContain('retention: "120d"');
    // April again from its source, and the live rows the shorter retention had dropped from the row log.
    expect(runAgg(["backfill", "--source", "april", "--feature", "user.txn_sum"], { cwd }).code).toBe(0);
    expect(query(cwd, args).rows[0]!.status["user.txn_sum__604800__"]).not.toBe("present");
    expect(runAgg(["backfill", "--feature", "user.txn_sum"], { cwd }).code).toBe(0);
    // Inside April a past T stays partial: the bucket holding T would be read up to T from
    // the row log, which has none of the offline rows. After April, April's buckets serve.
    expect(query(cwd, args).rows[0]!.status["user.txn_sum__604800__"]).toBe("partial");
    const after = Date.UTC(2024, 4, 1, 6);
    const exact = query(cwd, ["--feature", "user.txn_sum__7d__", "--id", "u0", "--at", new Date(after).toISOString()]);
    const mine = [...april, ...live].filter((t) => t.user_id === "u0");
    expect(exact.rows[0]!.values["user.txn_sum__604800__"]).toBeCloseTo(sum(inOverlappingBuckets(mine, after, 7 * DAY, DAY).map((t) => t.amount)), 9);
    expect(exact.rows[0]!.status["user.txn_sum__604800__"]).toBe("present");
  });
});
