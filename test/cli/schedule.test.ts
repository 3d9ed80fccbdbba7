import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, startAgg } from "../helpers/cli.js";
import { DAY, HOUR, LEDGER_SERIES, T0, ledgerInput, toMs, toNdjsonLines, type LedgerMessage, type LedgerSeries } from "../fixtures/ingest/ledger-events.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";
import { bucketsFrom, finalEntries, ledgerWorkspace, seriesIdOf, sql, storePathOf, storedBuckets } from "./backfill-fixture.js";

const [account, food, byShop] = LEDGER_SERIES as [LedgerSeries, LedgerSeries, LedgerSeries];
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const input = ledgerInput(21, 300);
const entries = finalEntries(input.messages);
// Entries logged between two scheduled runs.
const extras: LedgerMessage[] = [1, 2, 3, 4].map((h) => ({ id: `extra${h}`, account: `a${h}`, shop: "s2", amount: 10 * h + 0.25, kind: "food", ts: T0 + 7 * DAY + h * HOUR }));

interface RunLine {
  at: string;
  feature: string;
  schedule: string;
  job: number;
  status: string;
  rows: number;
  buckets: number;
  error: string | null;
}

const lines = (stdout: string) => stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as RunLine);
const runs = (dir: string) => Object.fromEntries(sql<{ feature: string; last_run: number }>(dir, "SELECT feature, last_run FROM schedule_runs").map((r) => [r.feature, r.last_run]));

/** The ledger project with a cron schedule on account.food and a duration schedule on account.by_shop. */
function scheduledWorkspace(): string {
  const dir = ledgerWorkspace({ "events.ndjson": toNdjsonLines(input.messages.filter((m) => m.kind !== "test")), "extras.ndjson": toNdjsonLines(extras) });
  const file = join(dir, "features", "account.ts");
  let text = readFileSync(file, "utf8");
  const edits: [string, string][] = [
    ['materialization: { bucketDuration: "1h" } })', 'materialization: { bucketDuration: "1h", backfillSchedule: "0 */6 * * *" } })'],
    ['materialization: { bucketDuration: "1d" } })', 'materialization: { bucketDuration: "1d", backfillSchedule: "1d" } })'],
  ];
  for (const [from, to] of edits) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  return dir;
}

describe("agg aggregate schedule --once", () => {
  let dir: string;
  const clock = Math.max(...entries.map((m) => toMs(m.ts)));

  beforeAll(() => {
    dir = scheduledWorkspace();
    // Rows only: every bucket below comes from a scheduled backfill.
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "events.ndjson"], { cwd: dir }).code).toBe(0);
  });

  it("runs every feature that never ran, fills its series up to now's bucket boundary and records the run", () => {
    const now = T0 + 8 * DAY + 30 * 60_000;
    const run = runAgg(["aggregate", "schedule", "--once", "--now", iso(now), "--json"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toMatchObject([
      { at: iso(now), feature: "account.food", schedule: "0 */6 * * *", job: 1, status: "completed", error: null },
      { at: iso(now), feature: "account.by_shop", schedule: "1d", job: 2, status: "completed", error: null },
    ]);
    expect(runs(dir)).toEqual({ "account.food": now, "account.by_shop": now });
    const snapshot = readStore(storePathOf(dir));
    expect(storedBuckets(snapshot, food)).toEqual(bucketsFrom(entries, food, clock));
    expect(storedBuckets(snapshot, byShop)).toEqual(bucketsFrom(entries, byShop, clock));
    expect(storedBuckets(snapshot, account)).toEqual([]);
    const through = (series: LedgerSeries) => sql<{ m: number }>(dir, "SELECT materialized_through AS m FROM series WHERE id = ?", seriesIdOf(snapshot, series))[0]!.m;
    expect(through(food)).toBe(T0 + 8 * DAY);
    expect(through(byShop)).toBe(T0 + 8 * DAY);
  });

  it("runs nothing before the next scheduled time", () => {
    const run = runAgg(["aggregate", "schedule", "--once", "--now", iso(T0 + 8 * DAY + 40 * 60_000), "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    // It says so, and when the next run is due (the cron's 06:00 slot).
    expect(run.stderr).toBe(`nothing is due at ${iso(T0 + 8 * DAY + 40 * 60_000)}; next: account.food at ${iso(T0 + 8 * DAY + 6 * HOUR)}\n`);
    expect(runs(dir)).toEqual({ "account.food": T0 + 8 * DAY + 30 * 60_000, "account.by_shop": T0 + 8 * DAY + 30 * 60_000 });
    expect(sql(dir, "SELECT count(*) AS n FROM jobs")).toEqual([{ n: 2 }]);
  });

  it("runs the cron feature at its next slot (06:00) but not the daily one; new rows are picked up", () => {
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "extras.ndjson"], { cwd: dir }).code).toBe(0);
    const now = T0 + 8 * DAY + 6 * HOUR;
    const run = runAgg(["aggregate", "schedule", "--once", "--now", iso(now)], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${iso(now)} account\\.food \\(cron 0 \\*/6 \\* \\* \\* \\(UTC\\)\\): job 3 completed, \\d+ rows read, \\d+ buckets written, \\d+\\.\\d\\d s\\n$`));
    expect(runs(dir)).toEqual({ "account.food": now, "account.by_shop": T0 + 8 * DAY + 30 * 60_000 });
    const snapshot = readStore(storePathOf(dir));
    const newClock = Math.max(clock, ...extras.map((m) => toMs(m.ts)));
    expect(storedBuckets(snapshot, food)).toEqual(bucketsFrom([...entries, ...extras], food, newClock));
    expect(storedBuckets(snapshot, byShop)).toEqual(bucketsFrom(entries, byShop, clock));
  });

  it("the duration schedule is due at each multiple of its length since the epoch", () => {
    const now = T0 + 9 * DAY;
    const run = runAgg(["aggregate", "schedule", "--once", "--now", String(now / 1000), "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(lines(run.stdout).map((l) => [l.feature, l.job])).toEqual([
      ["account.food", 4],
      ["account.by_shop", 5],
    ]);
    const newClock = Math.max(clock, ...extras.map((m) => toMs(m.ts)));
    expect(storedBuckets(readStore(storePathOf(dir)), byShop)).toEqual(bucketsFrom([...entries, ...extras], byShop, newClock));
  });

  it("agg aggregate jobs lists the runs, newest first", () => {
    const run = runAgg(["aggregate", "jobs", "--limit", "2"], { cwd: dir });
    expect(run.code).toBe(0);
    const [, header, , first, second, ...rest] = run.stdout.split("\n");
    expect(header!.split("│").map((c) => c.trim()).filter(Boolean)).toEqual(["Job", "Status", "Features", "Range", "Source", "Rows", "Buckets", "Started", "Seconds", "Error"]);
    expect(first).toMatch(/^│ 5 +│ completed │ account\.by_shop +│ \S+ \.\. \S+ +│ row log │/);
    expect(second).toMatch(/^│ 4 +│ completed │ account\.food +│/);
    expect(rest.filter((l) => l.startsWith("│"))).toEqual([]);
  });
});

describe("agg aggregate schedule in the foreground", () => {
  it("runs what is due, says when it runs next, and stops cleanly on SIGTERM", async () => {
    const dir = scheduledWorkspace();
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "events.ndjson"], { cwd: dir }).code).toBe(0);
    const now = T0 + 20 * DAY;
    const child = startAgg(["aggregate", "schedule", "--now", iso(now), "--json"], { cwd: dir });
    child.stdin.end();
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
    while (!stderr.includes("next:")) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGTERM");
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(lines(stdout).map((l) => [l.feature, l.status])).toEqual([
      ["account.food", "completed"],
      ["account.by_shop", "completed"],
    ]);
    expect(stderr).toContain(`next: account.food at ${iso(now + 6 * HOUR)}`);
    // list --wide shows the next run from the recorded last run.
    const listed = JSON.parse(runAgg(["list", "--wide", "--json"], { cwd: dir }).stdout) as { dependentFeatures: string[]; nextBackfill: string | null }[];
    expect(listed.find((r) => r.dependentFeatures.includes("account.food"))!.nextBackfill).toBe(iso(now + 6 * HOUR));
    expect(listed.find((r) => r.dependentFeatures.includes("account.by_shop"))!.nextBackfill).toBe(iso(now + DAY));
  });

  it("a project without schedules has nothing to run; a bad --now is a usage error", () => {
    const dir = ledgerWorkspace();
    const none = runAgg(["aggregate", "schedule", "--once"], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("No feature has a backfillSchedule; nothing to run.");
    const bad = runAgg(["aggregate", "schedule", "--once", "--now", "soon"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--now: invalid time "soon"');
  });
});
