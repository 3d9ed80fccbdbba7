/**
 * Workflow 4 of "never a silent wrong value": rows carrying epoch SECONDS. Without a
 * declared unit they are refused with the fix (never stored in January 1970); with
 * `datetime().epoch("s")` they are read as seconds and served like ISO times.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { DAY, inOverlappingBuckets, sum } from "../helpers/reference.js";
import { generateTransactions } from "../helpers/events.js";

/** The sample project, its stream taking `ts` as a number (epoch seconds, as many producers send). */
function secondsWorkspace(declareUnit: boolean): string {
  const dir = sampleWorkspace();
  const streams = join(dir, "features", "streams.ts");
  writeFileSync(streams, readFileSync(streams, "utf8").replace("    ts: z.string(),", "    ts: z.number(),"));
  if (declareUnit) {
    const txn = join(dir, "features", "transaction.ts");
    writeFileSync(txn, readFileSync(txn, "utf8").replace("ts: datetime().featureTime(),", 'ts: datetime().featureTime().epoch("s"),'));
  }
  return dir;
}

const events = generateTransactions({ count: 300, seed: 9, users: 3, start: Date.UTC(2024, 4, 1), spanMs: 10 * DAY });
const asSeconds = events.map((e) => ({ ...e, ts: Date.parse(e.ts) / 1000 }));
const input = asSeconds.map((e) => JSON.stringify(e)).join("\n") + "\n";

describe("event times in epoch seconds", () => {
  it("without a declared unit: the first such row is refused with the fix, nothing lands in 1970", () => {
    const dir = secondsWorkspace(false);
    writeFileSync(join(dir, "events.ndjson"), input);
    const run = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`error: line 1 of events.ndjson: transaction.ts: event time ${asSeconds[0]!.ts} is a number below 100000000000`);
    expect(run.stderr).toContain('datetime().featureTime().epoch("s")');
    const skip = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--on-error", "skip", "--json"], { cwd: dir });
    expect(skip.code).toBe(0);
    expect(JSON.parse(skip.stdout)).toMatchObject({ rejected: events.length, rowsInserted: 0 });
  });

  it('with datetime().epoch("s"): read as seconds, served exactly as the same rows in ISO', () => {
    const dir = secondsWorkspace(true);
    writeFileSync(join(dir, "events.ndjson"), input);
    const run = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--json"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rowsInserted: events.length, rejected: 0 });
    const at = Date.UTC(2024, 4, 8, 12);
    const query = runAgg(["query", "--feature", "user.txn_sum", "--id", "u0", "--id", "u2", "--at", new Date(at).toISOString(), "--json"], { cwd: dir });
    expect(query.code, query.stderr).toBe(0);
    for (const row of (JSON.parse(query.stdout) as { rows: { id: string; values: Record<string, number>; status: Record<string, string> }[] }).rows) {
      const mine = events.filter((e) => e.user_id === row.id);
      for (const days of [1, 7, 30]) {
        const expected = sum(inOverlappingBuckets(mine, at, days * DAY, DAY).map((e) => e.amount));
        expect(row.values[`user.txn_sum__${days * 86_400}__`]).toBeCloseTo(expected, 9);
      }
      expect(Object.values(row.status).some((s) => s === "present")).toBe(true);
    }
  });
});
