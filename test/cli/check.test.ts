import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO, runAgg, sampleWorkspace, tempDir } from "../helpers/cli.js";

const fixtures = join(REPO, "test", "fixtures", "projects");

/** Copies a fixture project to <tmp>/features and runs agg there. */
function run(fixture: string, args: string[]) {
  const cwd = tempDir();
  cpSync(join(fixtures, fixture), join(cwd, "features"), { recursive: true });
  return { cwd, ...runAgg(args, { cwd }) };
}

// One problem per fixture: where it is reported and what it says.
const CASES: [fixture: string, where: string, message: string][] = [
  ["unknown-reference", "features/transaction.ts:5", 'transaction.user_id references "usr.id", which is not a feature of this project'],
  ["missing-join-key", "features/user.ts:6", 'user.txn_sum: no feature of "transaction" references "user.id", so there is no join key'],
  ["ambiguous-join-key", "features/user.ts:6", 'user.txn_sum: several features of "transaction" reference "user.id" (user_id, payer_id), so the join key is ambiguous'],
  ["bad-duration", "features/user.ts:6", 'invalid window "1.5h" in user.txn_sum: decimals are not allowed; write "1h30m"'],
  ["bad-cron", "features/user.ts:6", 'invalid backfillSchedule "61 * * * *" in user.txn_sum'],
  ["bucket-longer-than-window", "features/user.ts:6", 'bucket "1d" of user.txn_sum is longer than its window "1h"'],
  ["window-two-buckets", "features/user.ts:6", 'window "1d" of user.txn_sum is listed under two bucket sizes ("1h" and "2h")'],
  ["duplicate-namespace", "features/user.ts:3", 'namespace "user" is declared twice (also at features/customer.ts:4)'],
  ["syntax-error", "features/user.ts:4", "cannot load this file: ParseError: Unexpected token"],
  ["import-error", "features/user.ts:2", "cannot load this file: Cannot find module './helpers.js'"],
  ["throws-at-load", "features/user.ts:4", "cannot load this file: settings.json is missing"],
  ["too-many-buckets", "features/user.ts:6", 'window "all" of user.txn_sum spans 52,560,000 buckets of "1m"; at most 100,000 are allowed'],
  ["two-primary-keys", "features/transaction.ts:5", 'namespace "transaction" has 2 primary keys (id, user_id)'],
  ["two-feature-times", "features/transaction.ts:8", 'namespace "transaction" has 2 event times (booked_at, ts)'],
  ["no-event-time", "features/user.ts:6", 'user.txn_sum aggregates "transaction", which has no event time'],
  ["numeric-on-string", "features/user.ts:7", 'user.cat_sum takes sum() of "transaction.category", a string feature'],
  ["bad-percentile", "features/user.ts:6", "user.p150: approxPercentile(q) needs q between 0 and 1, got 1.5"],
  ["bad-bucket-start", "features/user.ts:6", 'invalid bucketStart "midnight" in user.txn_sum: not a recognised time'],
  ["bad-buffer", "features/user.ts:6", 'invalid continuousBufferDuration "2 hours ago" in user.txn_sum'],
  ["groupby-other-namespace", "features/user.ts:7", 'user.by_self groups by "account.id", which is not a feature of "transaction"'],
  ["filter-other-namespace", "features/user.ts:7", 'the filter of user.txn_sum reads "account.id", which is not a feature of "transaction"'],
  ["double-underscore-name", "features/user.ts:6", 'feature name "user.txn__sum" contains "__"'],
  ["bad-namespace-name", "features/transaction.ts:3", 'namespace name "Transaction" is not lower snake case'],
  ["stream-without-schema", "features/streams.ts:5", 'stream "transactions": message is not a schema'],
  ["duplicate-source", "features/streams.ts:7", 'stream "transactions" is declared twice (also at features/streams.ts:6)'],
  ["offline-without-input", "features/sources.ts:5", 'offline source "warehouse" names no input'],
  ["feature-typo", "features/user.ts:7", 'cannot load this file: transaction has no feature "amout"; did you mean "amount"?'],
  ["unknown-materialization-option", "features/user.ts:6", 'unknown option "bucketDurration" in the materialization of user.txn_sum; did you mean "bucketDuration"?'],
  ["unknown-windowed-option", "features/user.ts:6", 'unknown option "defualt" in the options of user.txn_sum; did you mean "default"?'],
  ["unknown-stream-option", "features/streams.ts:5", 'unknown option "updatesMaterializedAggregation" in stream "transactions"; did you mean "updatesMaterializedAggregations"?'],
  ["too-many-group-keys", "features/user.ts:6", "user.by_everything has 5 group keys; at most 4 are supported"],
  ["retention-shorter-than-window", "features/user.ts:6", 'retention "3d" of user.txn_sum is shorter than its window "7d"'],
  ["bad-time-zone", "features/user.ts:6", 'unknown bucketTimeZone "America/New_Yrok" in user.txn_sum; did you mean "America/New_York"?'],
  ["zone-with-bucket-start", "features/user.ts:6", "user.txn_sum sets both bucketStart and bucketTimeZone"],
  ["week-start-without-zone", "features/user.ts:6", "weekStart of user.txn_sum needs a bucketTimeZone"],
  ["bad-week-start", "features/user.ts:6", 'invalid weekStart "Sundy" in user.txn_sum; did you mean "Sunday"?'],
];

describe("agg check", () => {
  test.each(CASES)("%s: reported with file:line, exit 2", (fixture, where, message) => {
    const result = run(fixture, ["check"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${where}: error ${message}`);
    expect(result.stderr).toContain("hint:");
    expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
  });

  test("every command refuses a broken project the same way, and never touches the store", () => {
    for (const args of [["list"], ["query", "--feature", "user.txn_sum", "--id", "u1"], ["ingest", "--source", "transactions"], ["backfill"]]) {
      const result = run("bad-duration", args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain('features/user.ts:6: invalid window "1.5h"');
      expect(existsSync(join(result.cwd, ".agg"))).toBe(false);
    }
  });

  test("all problems are reported at once", () => {
    const result = run("many-problems", ["check"]);
    expect(result.code).toBe(2);
    const errors = result.stderr.split("\n").filter((l) => l.includes(": error "));
    expect(errors).toEqual([
      'features/transaction.ts:5: error transaction.user_id references "user.uid", which is not a feature of this project',
      'features/user.ts:6: error invalid window "2x" in user.txn_sum: unknown unit "x"; allowed units are w, d, h, m, s, ms',
      'features/user.ts:6: error user.txn_sum: no feature of "transaction" references "user.id", so there is no join key',
      'features/user.ts:6: error invalid backfillSchedule "every hour" in user.txn_sum: a cron expression has 5 fields, this has 2',
    ]);
    expect(result.stderr).toContain("4 problems found");
  });

  test("--json lists the problems as data", () => {
    const result = run("bad-cron", ["check", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: { where: string; code: string; subject: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ where: "features/user.ts:6", code: "bad-schedule", subject: "user.txn_sum" })]);
  });

  test("the SPEC's examples (1.1 to 1.4) load as written", () => {
    const result = run("spec-examples", ["check"]);
    // The example's SQLite file is not shipped: reported, and the project still loads.
    expect(result.stderr).toMatch(/^warning features\/sources\.ts:4: offline source "warehouse" reads features\/data\/warehouse\.db, which does not exist\n {2}hint: [^\n]*\n$/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("3 namespaces, 4 windowed features, 3 series, 1 stream resolver, 1 offline source");
  });

  test("a valid project passes with a summary", () => {
    const cwd = sampleWorkspace();
    const result = runAgg(["check"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok 4 files, 3 namespaces, 9 windowed features, 4 series, 1 stream resolver, 1 offline source/);
  });

  test("a missing offline source file is reported (text and JSON); the project stays valid", () => {
    const cwd = sampleWorkspace();
    const result = runAgg(["check"], { cwd });
    expect(result.stderr).toBe("");
    rmSync(join(cwd, "features", "data", "transactions.ndjson"));
    const missing = runAgg(["check"], { cwd });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain('warning features/streams.ts:28: offline source "warehouse" reads features/data/transactions.ndjson, which does not exist');
    const json = JSON.parse(runAgg(["check", "--json"], { cwd }).stdout) as { ok: boolean; missingFiles: unknown[] };
    expect(json).toMatchObject({ ok: true, missingFiles: [{ source: "warehouse", path: "features/data/transactions.ndjson", where: "features/streams.ts:28" }] });
  });
});
