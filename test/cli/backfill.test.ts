import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg } from "../helpers/cli.js";
import { DAY, HOUR, LEDGER_SERIES, expectedBuckets, ledgerInput, toMs, toNdjsonLines, type LedgerSeries } from "../fixtures/ingest/ledger-events.js";
import { inPool, runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";
import { bucketsFrom, ceilTo, finalEntries, floorTo, ledgerWorkspace, rawBuckets, seriesIdOf, sql, storePathOf, storedBuckets } from "./backfill-fixture.js";

const input = ledgerInput(11, 400);
const [account, food, byShop] = LEDGER_SERIES as [LedgerSeries, LedgerSeries, LedgerSeries];
const final = finalEntries(input.messages);
const storeOf = (dir: string) => readStore(storePathOf(dir));

interface PlanEntry {
  series: number;
  bucket: string;
  lower: string | null;
  upper: string | null;
  rows: number;
  note: string | null;
  features: string[];
}

/** Rows of `entries` with lower <= ts < upper: what a plan entry must count. */
const rowsIn = (entries: readonly { ts: string | number }[], lower: number, upper: number) => entries.filter((m) => toMs(m.ts) >= lower && toMs(m.ts) < upper).length;

describe("agg backfill from the row log", () => {
  // live: ingested by the live resolver (buckets maintained by ingest).
  // archive: the same entries through a rows-only resolver (no buckets until a backfill).
  let live: string;
  let archive: string;

  beforeAll(async () => {
    const entries = toNdjsonLines(input.messages.filter((m) => m.kind !== "test"));
    live = ledgerWorkspace({ "events.ndjson": entries });
    archive = ledgerWorkspace({ "events.ndjson": entries });
    const results = await inPool(2, [
      () => runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: live }),
      () => runAggAsync(["ingest", "--source", "ledger_archive", "--file", "events.ndjson"], { cwd: archive }),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  });

  it("recomputes every series to exactly the buckets ingest maintained", () => {
    const before = rawBuckets(live);
    expect(before.length).toBeGreaterThan(100);
    const run = runAgg(["backfill", "--json"], { cwd: live });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { job: number; status: string; source: string; plan: PlanEntry[]; rows: number; buckets: number; seconds: number };
    expect(out).toMatchObject({ job: 1, status: "completed", source: "row log" });
    // Every (series, size), over all data: lower aligned down, upper aligned up past the newest row.
    const times = final.map((m) => toMs(m.ts));
    const [oldest, newest] = [Math.min(...times), Math.max(...times)];
    const sizes = (bucket: string) => ({ "1h": HOUR, "1d": DAY })[bucket]!;
    expect(out.plan.map((p) => p.bucket).sort()).toEqual(["1d", "1d", "1h", "1h"]);
    for (const p of out.plan) {
      const size = sizes(p.bucket);
      expect(p.lower).toBe(new Date(floorTo(oldest, size)).toISOString().replace(".000Z", "Z"));
      expect(p.upper).toBe(new Date(ceilTo(newest + 1, size)).toISOString().replace(".000Z", "Z"));
      expect(p.rows).toBe(rowsIn(final, floorTo(oldest, size), ceilTo(newest + 1, size)));
      // Ingest kept every size filled from the beginning: nothing to say.
      expect(p.note).toBeNull();
    }
    // The row log is read once for every (series, size) together.
    expect(out.rows).toBe(final.length);
    // Byte for byte what ingest wrote, and equal to the independent computation.
    expect(rawBuckets(live)).toEqual(before);
    expect(out.buckets).toBe(before.length);
    const snapshot = storeOf(live);
    for (const series of LEDGER_SERIES) expect(storedBuckets(snapshot, series), series.name).toEqual(expectedBuckets(input.messages, series).buckets);
  });

  it("--plan prints the plan and changes nothing", () => {
    const sizesBefore = sql(archive, "SELECT * FROM series_sizes ORDER BY series_id, bucket_ms");
    const run = runAgg(["aggregate", "backfill", "--feature", "account.total", "--plan", "--json"], { cwd: archive });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { job: null; status: string; plan: PlanEntry[] };
    expect(out.job).toBeNull();
    expect(out.status).toBe("planned");
    const id = seriesIdOf(storeOf(archive), account);
    expect(out.plan.map((p) => [p.series, p.bucket, p.features])).toEqual([
      [id, "1h", ["account.total", "account.n", "account.avg", "account.lo", "account.hi"]],
      [id, "1d", ["account.total", "account.n", "account.avg", "account.lo", "account.hi"]],
    ]);
    for (const p of out.plan) expect(p.rows).toBeGreaterThan(0);
    const text = runAgg(["backfill", "--feature", "account.total", "--plan"], { cwd: archive });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Plan (source: row log):");
    expect(text.stdout).toContain("No buckets were changed and no job was recorded (--plan).");
    expect(sql(archive, "SELECT count(*) AS n FROM jobs")).toEqual([{ n: 0 }]);
    expect(sql(archive, "SELECT count(*) AS n FROM buckets")).toEqual([{ n: 0 }]);
    expect(sql(archive, "SELECT * FROM series_sizes ORDER BY series_id, bucket_ms")).toEqual(sizesBefore);
    expect(sql(archive, "SELECT count(*) AS n FROM series WHERE materialized_through IS NOT NULL")).toEqual([{ n: 0 }]);
  });

  it("fills only the series behind the named feature, and records how far it is filled", () => {
    const run = runAgg(["backfill", "--feature", 'account.total["1d"]'], { cwd: archive });
    // Only the notes on rows older than retention (the fixture's entries ten days back).
    expect(run.stderr).toMatch(/^(note: series \d+ \(1[hd] buckets\): [\d,]+ rows? from \S+ to before \S+ (is|are) older than its retention \(\w+\): in no bucket; queries compute their windows from the row log\n)+$/);
    expect(run.code).toBe(0);
    // The affected rows of the series table, the plan, then the job.
    const lines = run.stdout.split("\n");
    expect(lines[1]).toMatch(/Series +│ Namespace +│ Group +│ Agg +│ Bucket +│ Retention +│ Aggregation +│ Dependent Features/);
    expect(run.stdout.match(/│ account\.(total|n|avg|lo|hi) /g)).toHaveLength(10);
    expect(run.stdout).not.toContain("account.food");
    expect(run.stdout).toMatch(/Plan \(source: row log\):/);
    expect(lines.at(-2)).toMatch(/^job 1 completed: [\d,]+ rows read, [\d,]+ buckets written in \d+\.\d\d s$/);

    const snapshot = storeOf(archive);
    const newest = Math.max(...final.map((m) => toMs(m.ts)));
    expect(storedBuckets(snapshot, account)).toEqual(bucketsFrom(final, account, newest));
    expect(storedBuckets(snapshot, food)).toEqual([]);
    expect(storedBuckets(snapshot, byShop)).toEqual([]);
    // Through the end of the smaller (1h) size's range; the retention clock from the rows read.
    expect(sql(archive, "SELECT materialized_through AS m, max_event_time AS t FROM series WHERE id = ?", seriesIdOf(snapshot, account))).toEqual([{ m: ceilTo(newest + 1, HOUR), t: newest }]);
    const listed = JSON.parse(runAgg(["list", "--wide", "--json"], { cwd: archive }).stdout) as { series: number; status: string; lastBackfill: string | null }[];
    // The other series were registered after rows were logged and never filled.
    for (const row of listed) expect(row.status).toBe(row.series === seriesIdOf(snapshot, account) ? "ok" : "needs backfill");
  });

  it("a feature whose retention grew needs a backfill (check, list) until one reaches its oldest kept bucket", () => {
    const file = join(archive, "features", "account.ts");
    const declared = 'total: windowed("1d", "3d", { expression: Txn.amount.sum(), materialization: twoSizes })';
    const text = readFileSync(file, "utf8");
    expect(text).toContain(declared);
    writeFileSync(file, text.replace(declared, 'total: windowed("1d", "3d", "4d", { expression: Txn.amount.sum(), materialization: { bucketDurations: { "1h": "1d", "1d": ["3d", "4d"] } } })'));
    const id = seriesIdOf(storeOf(archive), account);
    const check = runAgg(["check"], { cwd: archive });
    expect(check.code).toBe(0);
    expect(check.stderr).toContain(`warning series ${id} (bucket 1d, account.total, account.n, account.avg, account.lo, account.hi) needs a backfill: its retention grew`);
    expect(check.stderr).toContain("agg backfill --feature account.total");
    const checkJson = JSON.parse(runAgg(["check", "--json"], { cwd: archive }).stdout) as { needsBackfill: { series: number }[] };
    expect(checkJson.needsBackfill.filter((n) => n.series === id)).toEqual([
      { series: id, bucket: "1d", features: ["account.total", "account.n", "account.avg", "account.lo", "account.hi"], reason: "retention" },
    ]);
    const status = (JSON.parse(runAgg(["list", "--wide", "--json"], { cwd: archive }).stdout) as { series: number; bucket: string; status: string }[]).filter((r) => r.series === id);
    expect(new Set(status.map((r) => `${r.bucket} ${r.status}`))).toEqual(new Set(["1h ok", "1d needs backfill"]));

    // Bounds that name the last day only keep the buckets (same aggregations) but leave the
    // history the shorter retention dropped unfilled, and say so.
    const newest = Math.max(...final.map((m) => toMs(m.ts)));
    const lower = new Date(floorTo(newest, DAY)).toISOString();
    const bounded = runAgg(["backfill", "--feature", "account.n", "--lower-bound", lower, "--json"], { cwd: archive });
    expect(bounded.code, bounded.stderr).toBe(0);
    const plan = (JSON.parse(bounded.stdout) as { plan: PlanEntry[] }).plan;
    expect(plan.find((p) => p.bucket === "1d")).toMatchObject({ lower: lower.replace(".000Z", "Z"), note: expect.stringMatching(/^leaves the history before .* unfilled/) });
    expect(plan.find((p) => p.bucket === "1h")).toMatchObject({ lower: lower.replace(".000Z", "Z"), note: null });
    const still = JSON.parse(runAgg(["check", "--json"], { cwd: archive }).stdout) as { needsBackfill: { series: number; bucket: string }[] };
    expect(still.needsBackfill.filter((n) => n.series === id).map((n) => n.bucket)).toEqual(["1d"]);

    // Without bounds: all its data, from the oldest row.
    const run = runAgg(["backfill", "--feature", "account.n", "--json"], { cwd: archive });
    expect(run.code, run.stderr).toBe(0);
    const oldest = Math.min(...final.map((m) => toMs(m.ts)));
    expect((JSON.parse(run.stdout) as { plan: PlanEntry[] }).plan.find((p) => p.bucket === "1d")).toMatchObject({ lower: new Date(floorTo(oldest, DAY)).toISOString().replace(".000Z", "Z"), note: expect.stringMatching(/^fills the history before /) });
    const wider: LedgerSeries = { ...account, sizes: [{ bucketMs: HOUR, retentionMs: DAY }, { bucketMs: DAY, retentionMs: 4 * DAY }] };
    expect(storedBuckets(storeOf(archive), account)).toEqual(bucketsFrom(final, wider, newest));
    const after = JSON.parse(runAgg(["check", "--json"], { cwd: archive }).stdout) as { needsBackfill: { series: number }[] };
    expect(after.needsBackfill.filter((n) => n.series === id)).toEqual([]);
  });
});

describe("agg backfill usage errors", () => {
  it.each([
    [["--feature", "account.totl"], /unknown windowed feature "account\.totl"[\s\S]*did you mean "account\.total"/],
    [["--source", "warehous"], /unknown offline source "warehous"/],
    [["--lower-bound", "2024-03-05", "--upper-bound", "2024-03-01"], /--lower-bound 2024-03-05 is not before --upper-bound 2024-03-01/],
    [["--upper-bound", "yesterday"], /--upper-bound: invalid time "yesterday"/],
  ])("%j exits 2, says what to fix and creates no store", (args, message) => {
    const dir = ledgerWorkspace();
    const run = runAgg(["backfill", ...args], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
    expect(existsSync(storePathOf(dir))).toBe(false);
  });

  it("with --json the error is JSON on stdout", () => {
    const run = runAgg(["backfill", "--feature", "nope.x", "--json"], { cwd: ledgerWorkspace() });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "usage" } });
  });
});
