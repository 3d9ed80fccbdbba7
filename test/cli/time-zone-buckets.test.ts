import Database from "better-sqlite3";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, tempDir, writeFiles } from "../helpers/cli.js";
import { firstInstantOf, localDate, localDayBucket, nextDate } from "../helpers/local-days.js";
import { DAY, HOUR, MIN, ingest, iso, makeEvents, queryJson, type Txn } from "./query-fixture.js";

// bucketTimeZone (SPEC 1.2) through the real CLI and SQLite: every expected value is
// computed here from the raw events, with local-day buckets found by scanning Intl minute
// by minute (test/helpers/local-days.ts), never with agg's grid.

const TRANSACTION = `import { features, string, float, datetime } from "agg";
export const Transaction = features("transaction", {
  id: string().primary(),
  user_id: string().references("user.id"),
  merchant_id: string(),
  amount: float(),
  category: string().optional(),
  ts: datetime().featureTime(),
});
`;

const STREAMS = `import { stream } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";
const message = z.object({ id: z.string(), user_id: z.string(), merchant_id: z.string(), amount: z.number(), category: z.string().nullable(), ts: z.string() });
export const live = stream({ source: "transactions", message, output: Transaction, resolve: (m) => m });
export const rowsOnly = stream({ source: "transactions_raw", message, output: Transaction, resolve: (m) => m, updatesMaterializedAggregations: false });
`;

const user = (dailyZone: string) => `import { features, string, windowed } from "agg";
import { Transaction } from "./transaction.js";
export const User = features("user", {
  id: string().primary(),
  daily: windowed("1d", "2d", "7d", "365d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "1d", bucketTimeZone: "${dailyZone}" }, default: 0 }),
  weekly: windowed("7d", "14d", "365d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "7d", bucketTimeZone: "America/New_York", weekStart: "Sunday" }, default: 0 }),
  hourly: windowed("1d", "365d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "1h", bucketTimeZone: "Asia/Kolkata" }, default: 0 }),
  buffered: windowed("1d", "3d", "365d", { expression: Transaction.amount.count(), materialization: { bucketDuration: "1d", bucketTimeZone: "America/Santiago", continuousBufferDuration: "3d" } }),
  short: windowed("2d", { expression: Transaction.amount.sum(), materialization: { bucketDuration: "1d", bucketTimeZone: "Australia/Lord_Howe" }, default: 0 }),
});
`;

function workspace(dailyZone = "America/New_York"): string {
  return writeFiles(tempDir("agg-zone-"), { "features/transaction.ts": TRANSACTION, "features/streams.ts": STREAMS, "features/user.ts": user(dailyZone) });
}

const IDS = ["u0", "u1", "u2", "u3"];
const idArgs = IDS.flatMap((id) => ["--id", id]);
type Bucket = (t: number) => { start: number; end: number };

/** The local week holding t, from the last `weekStart` day (a name) at or before its local date. */
function localWeekBucket(t: number, zone: string, weekStart: string): { start: number; end: number } {
  const weekday = (date: string) => new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "long" }).format(Date.parse(`${date}T12:00:00Z`));
  let date = localDayBucket(t, zone).date;
  while (weekday(date) !== weekStart) date = nextDate(date, -1);
  return { start: firstInstantOf(date, zone), end: firstInstantOf(nextDate(date, 7), zone) };
}

/** SPEC 5.3 from the raw events: every bucket overlapping (T - W, T], as of T. */
function expected(txns: readonly Txn[], id: string, at: number, window: number, bucket: Bucket, value: (t: Txn) => number = (t) => t.amount): number {
  let total = 0;
  for (const t of txns) {
    if (t.user_id !== id || t.ts > at) continue;
    const b = bucket(t.ts);
    if (b.end > at - window && b.start <= at) total += value(t);
  }
  return total;
}

const day = (zone: string): Bucket => (t) => localDayBucket(t, zone);
const fixedHour: Bucket = (t) => ({ start: t - (t % HOUR), end: t - (t % HOUR) + HOUR });

/** Times around local midnights (exactly, 1 ms before) of the given local dates, and some in between. */
function timesAround(dates: readonly string[], zone: string): number[] {
  const out: number[] = [];
  for (const d of dates) {
    const s = firstInstantOf(d, zone);
    out.push(s, s - 1, s + 11 * HOUR + 7 * MIN);
  }
  return out;
}

describe("daily and weekly buckets in New York across both 2024 transitions", () => {
  const spring = makeEvents(700, Date.parse("2024-03-06T00:00:00Z"), 8 * DAY, 31, "s");
  const fall = makeEvents(700, Date.parse("2024-10-30T00:00:00Z"), 8 * DAY, 32, "f");
  const txns = [...spring, ...fall];
  const ny = "America/New_York";
  const dir = workspace();
  beforeAll(() => {
    ingest(dir, txns);
  }, 60_000);
  const ats = [...timesAround(["2024-03-10", "2024-03-11", "2024-03-12"], ny), ...timesAround(["2024-11-03", "2024-11-04", "2024-11-05"], ny)];

  const check = (dir: string, at: number, status: string) => {
    const json = queryJson(dir, ["--feature", "user.daily", "--feature", "user.weekly", "--feature", "user.hourly__1d__", ...idArgs, "--at", iso(at)]);
    for (const row of json.rows) {
      for (const [w, name] of [[DAY, "86400"], [2 * DAY, "172800"], [7 * DAY, "604800"]] as const) {
        expect(row.values[`user.daily__${name}__`], `${row.id} daily ${name} at ${iso(at)}`).toBe(expected(txns, row.id, at, w, day(ny)));
      }
      for (const [w, name] of [[7 * DAY, "604800"], [14 * DAY, "1209600"]] as const) {
        expect(row.values[`user.weekly__${name}__`], `${row.id} weekly ${name} at ${iso(at)}`).toBe(expected(txns, row.id, at, w, (t) => localWeekBucket(t, ny, "Sunday")));
      }
      // Sub-day sizes stay on the epoch grid, zone or not.
      expect(row.values["user.hourly__86400__"]).toBe(expected(txns, row.id, at, DAY, fixedHour));
      // The 365d windows reach back before the oldest bucket retention keeps (T - 365d - 1d): from the row log.
      for (const [fqn, s] of Object.entries(row.status)) expect([status, "default", ...(fqn.endsWith("__31536000__") ? ["row_log"] : [])], fqn).toContain(s);
    }
  };

  it("query values equal the raw events folded into local-day and local-week buckets", () => {
    for (const at of ats) check(dir, at, "present");
  }, 120_000);

  it("--explain shows each bucket in UTC and in the zone: the 23-hour and 25-hour days", () => {
    const out = runAgg(["query", "--feature", "user.daily__2d__", "--id", "u1", "--at", iso(firstInstantOf("2024-03-11", ny) + HOUR), "--explain"], { cwd: dir });
    expect(out.code).toBe(0);
    const s10 = firstInstantOf("2024-03-10", ny);
    const s11 = firstInstantOf("2024-03-11", ny);
    expect(s11 - s10).toBe(23 * HOUR);
    expect(out.stdout).toContain("1d buckets (local calendar of America/New_York)");
    expect(out.stdout).toContain(`[${iso(s10)}, ${iso(s11)})`);
    expect(out.stdout).toContain("= [2024-03-10T00:00:00-05:00, 2024-03-11T00:00:00-04:00) America/New_York");
    const json = queryJson(dir, ["--feature", "user.daily__2d__", "--id", "u1", "--at", iso(firstInstantOf("2024-11-05", ny) + HOUR), "--explain"]);
    const e = json.rows[0]!.explain!["user.daily__172800__"];
    expect(e.bucketTimeZone).toBe(ny);
    const nov3 = e.buckets.find((b: { localStart: string }) => b.localStart === "2024-11-03T00:00:00-04:00");
    expect(nov3).toMatchObject({ end: iso(firstInstantOf("2024-11-04", ny)), localEnd: "2024-11-04T00:00:00-05:00" });
    expect(Date.parse(nov3.end) - Date.parse(nov3.start)).toBe(25 * HOUR);
  });

  it("list names the zone of whole-day sizes only", () => {
    const out = runAgg(["list", "--json"], { cwd: dir });
    const rows = JSON.parse(out.stdout) as { bucket: string; bucketTimeZone?: string; weekStart?: string; dependentFeatures: string[] }[];
    const of = (fqn: string) => rows.find((r) => r.dependentFeatures.includes(fqn))!;
    expect(of("user.daily")).toMatchObject({ bucket: "1d", bucketTimeZone: ny });
    expect(of("user.weekly")).toMatchObject({ bucket: "1w", bucketTimeZone: ny, weekStart: "Sunday" });
    expect(of("user.hourly")).toEqual(expect.not.objectContaining({ bucketTimeZone: expect.anything() }));
    const table = runAgg(["list", "--wide"], { cwd: dir }).stdout;
    expect(table).toContain("1d America/New_York");
    expect(table).toContain("1w America/New_York from Sunday");
  });

  it("a backfill from the row log rebuilds the same buckets; its plan shows local times", () => {
    const plan = runAgg(["backfill", "--feature", "user.daily", "--plan"], { cwd: dir });
    expect(plan.code).toBe(0);
    const lower = localDayBucket(Math.min(...txns.map((t) => t.ts)), ny).start;
    expect(plan.stdout).toContain(`${iso(lower)} (${localDate(lower, ny)}T00:00:00-05:00)`);
    const before = buckets(dir);
    const run = runAgg(["backfill", "--feature", "user.daily", "--feature", "user.weekly"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(buckets(dir)).toEqual(before);
    for (const at of ats.slice(0, 4)) check(dir, at, "present");
  }, 60_000);
});

/** Every stored bucket as (series, size, key, start, rows), sorted. */
function buckets(dir: string): unknown[] {
  const db = new Database(join(dir, ".agg", "store.db"), { readonly: true });
  try {
    return db.prepare("SELECT series_id, bucket_ms, k0, start, rows, hex(state) AS state FROM buckets ORDER BY 1, 2, 3, 4").all();
  } finally {
    db.close();
  }
}

describe("a backfill into empty buckets across Santiago's 2019 transitions", () => {
  it("fills local days of 25 and 23 hours (the second starting at 01:00) from rows logged without buckets", () => {
    const zone = "America/Santiago";
    const txns = [...makeEvents(500, Date.parse("2019-04-04T00:00:00Z"), 5 * DAY, 41, "a"), ...makeEvents(500, Date.parse("2019-09-06T00:00:00Z"), 5 * DAY, 42, "b")];
    const dir = workspace();
    ingest(dir, txns, "transactions_raw");
    const run = runAgg(["backfill", "--feature", "user.buffered"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const count = () => 1;
    for (const at of [...timesAround(["2019-04-06", "2019-04-07"], zone), ...timesAround(["2019-09-08", "2019-09-09"], zone)]) {
      const json = queryJson(dir, ["--feature", "user.buffered", ...idArgs, "--at", iso(at)]);
      for (const row of json.rows) {
        for (const [w, name] of [[DAY, "86400"], [3 * DAY, "259200"]] as const) {
          const want = expected(txns, row.id, at, w, day(zone), count);
          expect(row.values[`user.buffered__${name}__`] ?? 0, `${row.id} ${name} at ${iso(at)}`).toBe(want);
        }
      }
    }
    // The day of 2019-09-08 starts at 01:00 local: a stored bucket starts there.
    const starts = (buckets(dir) as { start: number }[]).map((b) => b.start);
    expect(starts).toContain(firstInstantOf("2019-09-08", zone));
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(firstInstantOf("2019-09-08", zone))).toBe("01:00");
  }, 90_000);
});

describe("a zoned series with hourly and local-day sizes", () => {
  it("is backfilled in one pass: rows logged without buckets are folded, and check is clean", () => {
    const ny = "America/New_York";
    const txns = makeEvents(600, Date.parse("2024-03-08T00:00:00Z"), 4 * DAY, 47, "h");
    const dir = workspace();
    writeFiles(dir, {
      "features/mixed.ts": `import { features, string, windowed } from "agg";
import { Transaction } from "./transaction.js";
export const Account = features("account", {
  id: string().primary(),
  spend: windowed("1d", "7d", { expression: Transaction.amount.sum(), on: Transaction.user_id, materialization: { bucketDurations: { "1h": "1d", "1d": "7d" }, bucketTimeZone: "${ny}" }, default: 0 }),
});
`,
    });
    ingest(dir, txns, "transactions_raw");
    const run = runAgg(["backfill", "--feature", "account.spend"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    // One pass reads the rows once for both sizes.
    expect(run.stdout).toContain(`job 1 completed: ${txns.length} rows read`);
    const check = runAgg(["check"], { cwd: dir });
    expect(check.stderr).not.toContain("account.spend");
    for (const at of timesAround(["2024-03-10", "2024-03-11"], ny)) {
      const json = queryJson(dir, ["--feature", "account.spend", ...idArgs, "--at", iso(at)]);
      for (const row of json.rows) {
        expect(row.values["account.spend__86400__"], `${row.id} at ${iso(at)}`).toBe(expected(txns, row.id, at, DAY, fixedHour));
        expect(row.values["account.spend__604800__"]).toBe(expected(txns, row.id, at, 7 * DAY, day(ny)));
        expect(["present", "default"]).toContain(row.status["account.spend__604800__"]);
      }
    }
  }, 90_000);
});

describe("the continuous buffer across Santiago's 25-hour 2019-04-06", () => {
  it("buckets before the last filled one, the row log from its start: equal to the raw events", () => {
    const zone = "America/Santiago";
    const txns = makeEvents(900, Date.parse("2019-04-03T00:00:00Z"), 6 * DAY, 43, "c");
    // The buckets hold the rows before M, inside the 25-hour day; later rows are logged only.
    const M = firstInstantOf("2019-04-06", zone) + 20 * HOUR;
    expect(localDayBucket(M, zone).end - localDayBucket(M, zone).start).toBe(25 * HOUR);
    const dir = workspace();
    ingest(dir, txns.filter((t) => t.ts < M));
    ingest(dir, txns.filter((t) => t.ts >= M), "transactions_raw");
    for (const at of [M + 5 * HOUR, M + 30 * HOUR, M + 2 * DAY + 3 * HOUR]) {
      const json = queryJson(dir, ["--feature", "user.buffered", ...idArgs, "--at", iso(at), "--explain"]);
      for (const row of json.rows) {
        for (const [w, name] of [[DAY, "86400"], [3 * DAY, "259200"]] as const) {
          expect(row.values[`user.buffered__${name}__`] ?? 0, `${row.id} ${name} at ${iso(at)}`).toBe(expected(txns, row.id, at, w, day(zone), () => 1));
          const e = row.explain![`user.buffered__${name}__`];
          expect(e.mode).toBe("buffer");
          // The row log starts where the last filled bucket (the one holding M) starts.
          expect(e.rowLog.from).toBe(iso(Math.max(localDayBucket(M, zone).start, localDayBucket(at - w, zone).start)));
        }
      }
    }
  }, 90_000);
});

describe("retention on Lord Howe's calendar (30-minute shifts)", () => {
  it("keeps exactly the buckets ending after T - retention - 1d, and serves older times from the row log", () => {
    const zone = "Australia/Lord_Howe";
    // 2024-04-07 lasts 24.5 hours; the newest event puts the cutoff (T - 2d - 1d) 15 minutes
    // before its end: past `start + 24h`, so only a rule on the bucket's true end keeps it.
    const dayEnd = firstInstantOf("2024-04-08", zone);
    expect(dayEnd - firstInstantOf("2024-04-07", zone)).toBe(24.5 * HOUR);
    const newest = dayEnd - 15 * MIN + 3 * DAY;
    const txns = [...makeEvents(600, Date.parse("2024-03-30T00:00:00Z"), newest - Date.parse("2024-03-30T00:00:00Z"), 44, "r"), { ...makeEvents(1, newest, 1, 45, "last")[0]!, ts: newest }];
    expect(txns.some((t) => t.ts >= firstInstantOf("2024-04-07", zone) && t.ts < dayEnd)).toBe(true);
    const dir = workspace();
    ingest(dir, txns);
    // retention: the 2d window; stale: buckets ending at or before T - 2d - 1d (SPEC 3).
    const cutoff = newest - 3 * DAY;
    const kept = new Set(txns.filter((t) => localDayBucket(t.ts, zone).end > cutoff).map((t) => `${t.user_id}@${localDayBucket(t.ts, zone).start}`));
    const stored = () => (JSON.parse(runAgg(["list", "--wide", "--json"], { cwd: dir }).stdout) as { dependentFeatures: string[]; storedBuckets: number }[]).find((r) => r.dependentFeatures.includes("user.short"))!.storedBuckets;
    expect(stored()).toBe(kept.size);
    // A backfill applies the same rule.
    expect(runAgg(["backfill", "--feature", "user.short"], { cwd: dir }).code).toBe(0);
    expect(stored()).toBe(kept.size);
    for (const at of [newest, firstInstantOf("2024-04-07", zone) + 3 * HOUR, Date.parse("2024-04-02T00:00:00Z")]) {
      const json = queryJson(dir, ["--feature", "user.short", ...idArgs, "--at", iso(at)]);
      for (const row of json.rows) expect(row.values["user.short__172800__"], `${row.id} at ${iso(at)}`).toBe(expected(txns, row.id, at, 2 * DAY, day(zone)));
      if (at < cutoff - 2 * DAY) expect(json.rows.some((r) => r.status["user.short__172800__"] === "row_log")).toBe(true);
    }
  }, 90_000);
});

describe("changing the zone of an existing feature", () => {
  it("never serves the old zone's buckets: the row log until a backfill, then the new zone's buckets", () => {
    const txns = makeEvents(600, Date.parse("2024-03-24T00:00:00Z"), 10 * DAY, 45, "z");
    const dir = workspace("America/New_York");
    ingest(dir, txns);
    writeFiles(dir, { "features/user.ts": user("Europe/London") });
    const london = day("Europe/London");
    // London moved to summer time on 2024-03-31, New York three weeks before: the days differ.
    const ats = timesAround(["2024-03-31", "2024-04-01"], "Europe/London");
    const values = (status: string) => {
      for (const at of ats) {
        const json = queryJson(dir, ["--feature", "user.daily__1d__", "--feature", "user.daily__2d__", ...idArgs, "--at", iso(at)]);
        for (const row of json.rows) {
          expect(row.values["user.daily__86400__"], `${row.id} at ${iso(at)}`).toBe(expected(txns, row.id, at, DAY, london));
          expect(row.values["user.daily__172800__"]).toBe(expected(txns, row.id, at, 2 * DAY, london));
          expect([status, "default"]).toContain(row.status["user.daily__86400__"]);
        }
      }
    };
    // The check can tell the zones apart: New York's buckets give other values at some of these times.
    expect(ats.some((at) => IDS.some((id) => expected(txns, id, at, DAY, london) !== expected(txns, id, at, DAY, day("America/New_York"))))).toBe(true);
    values("row_log");
    expect(runAgg(["list"], { cwd: dir }).stdout).toContain("1d Europe/London");
    const run = runAgg(["backfill", "--feature", "user.daily"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    values("present");
  }, 90_000);
});

describe("offline-query and replaced rows on New York's 25-hour 2024-11-03", () => {
  const ny = "America/New_York";
  const txns = makeEvents(800, Date.parse("2024-11-01T00:00:00Z"), 5 * DAY, 46, "o");
  const dir = workspace();
  beforeAll(() => {
    ingest(dir, txns);
  }, 60_000);

  it("serving mode gives, at every spine time, the value of local-day buckets from the raw events", () => {
    const times = [...timesAround(["2024-11-03", "2024-11-04"], ny), firstInstantOf("2024-11-04", ny) - HOUR / 2];
    const spine = IDS.flatMap((id) => times.map((at) => ({ id, at })));
    writeFiles(dir, { "spine.csv": `user_id,ts\n${spine.map((s) => `${s.id},${iso(s.at)}`).join("\n")}\n` });
    const result = runAgg(["offline-query", "--spine", "spine.csv", "--id-column", "user_id", "--time-column", "ts", "--feature", "user.daily__1d__", "--feature", "user.daily__2d__", "--format", "ndjson"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(spine.length);
    rows.forEach((row, i) => {
      const { id, at } = spine[i]!;
      expect(row["user.daily__86400__"], `${id} at ${iso(at)}`).toBe(expected(txns, id, at, DAY, day(ny)));
      expect(row["user.daily__172800__"]).toBe(expected(txns, id, at, 2 * DAY, day(ny)));
    });
  }, 60_000);

  it("a row replaced in the 25th hour of the day rebuilds that whole bucket from the row log", () => {
    // The last hour of the 25-hour day: past `start + 24h`, still inside the bucket.
    const end = firstInstantOf("2024-11-04", ny);
    const late = txns.filter((t) => t.ts >= end - HOUR && t.ts < end);
    expect(late.length).toBeGreaterThan(3);
    const replaced = late.slice(0, 2).map((t) => ({ ...t, amount: t.amount + 1000, ts: t.ts - 30 * MIN }));
    ingest(dir, replaced);
    const now = txns.map((t) => replaced.find((r) => r.id === t.id) ?? t);
    const at = end + 2 * HOUR;
    const json = queryJson(dir, ["--feature", "user.daily__1d__", "--feature", "user.daily__2d__", ...idArgs, "--at", iso(at)]);
    for (const row of json.rows) {
      expect(row.values["user.daily__86400__"], row.id).toBe(expected(now, row.id, at, DAY, day(ny)));
      expect(row.values["user.daily__172800__"], row.id).toBe(expected(now, row.id, at, 2 * DAY, day(ny)));
    }
    expect(json.rows.some((r) => r.values["user.daily__86400__"] !== expected(txns, r.id, at, DAY, day(ny)))).toBe(true);
  }, 60_000);
});
