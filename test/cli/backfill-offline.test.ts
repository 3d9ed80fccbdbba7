import Database from "better-sqlite3";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg } from "../helpers/cli.js";
import { DAY, HOUR, LEDGER_SERIES, T0, ledgerInput, toMs, toNdjsonLines, type LedgerMessage, type LedgerSeries } from "../fixtures/ingest/ledger-events.js";
import { inPool, runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";
import { bucketsFrom, ceilTo, finalEntries, floorTo, ledgerWorkspace, rawBuckets, seriesIdOf, sql, storePathOf, storedBuckets, txnRow } from "./backfill-fixture.js";

const SOURCES = `import { offlineSource } from "agg";
import { Txn } from "./txn.js";
export const fromSqlite = offlineSource({ name: "ledger_db", output: Txn, sqlite: { path: "data/ledger.db", query: "SELECT id, account_id, shop_id, amount, kind, ts FROM entries ORDER BY seq" } });
export const fromCsv = offlineSource({ name: "ledger_csv", output: Txn, csv: "data/ledger.csv" });
export const fromNdjson = offlineSource({ name: "ledger_ndjson", output: Txn, ndjson: "data/ledger.ndjson" });
export const badQuery = offlineSource({ name: "bad_query", output: Txn, sqlite: { path: "data/ledger.db", query: "SELECT * FROM no_such_table" } });
export const missing = offlineSource({ name: "missing", output: Txn, ndjson: "data/nowhere.ndjson" });
`;

const input = ledgerInput(5, 400);
const entries = finalEntries(input.messages);
// A source may state an entry twice: the later statement wins, as in the row log.
const restated = entries.slice(0, 12).map((m, i) => ({ ...m, amount: 1000 + i }));
const sourceEntries = [...entries, ...restated];
const expectedEntries = finalEntries(sourceEntries);
const newest = Math.max(...expectedEntries.map((m) => toMs(m.ts)));
const storeOf = (dir: string) => readStore(storePathOf(dir));

/** The entries as CSV with the namespace's columns: null is an empty cell, some cells quoted, times ISO. */
function toCsv(list: readonly LedgerMessage[]): string {
  const cell = (v: string | number | null, quote: boolean) => (v === null ? "" : quote ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const lines = list.map((m, i) => [m.id, m.account, m.shop, m.amount, m.kind, new Date(toMs(m.ts)).toISOString()].map((v, j) => cell(v, (i + j) % 3 === 0)).join(","));
  return ["id,account_id,shop_id,amount,kind,ts", ...lines].join("\r\n") + "\r\n";
}

/** The entries in a SQLite table; event times as integer ms or ISO text, as warehouses mix them. */
function writeSqlite(path: string, list: readonly LedgerMessage[]): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const db = new Database(path);
  db.exec("CREATE TABLE entries (seq INTEGER PRIMARY KEY, id TEXT, account_id TEXT, shop_id TEXT, amount REAL, kind TEXT, ts)");
  const insert = db.prepare("INSERT INTO entries (id, account_id, shop_id, amount, kind, ts) VALUES (?, ?, ?, ?, ?, ?)");
  db.transaction(() => list.forEach((m, i) => insert.run(m.id, m.account, m.shop, m.amount, m.kind, i % 2 ? toMs(m.ts) : new Date(toMs(m.ts)).toISOString())))();
  db.close();
}

function offlineWorkspace(list: readonly LedgerMessage[], extra: Record<string, string> = {}): string {
  const dir = ledgerWorkspace({
    "features/offline.ts": SOURCES,
    "features/data/ledger.csv": toCsv(list),
    "features/data/ledger.ndjson": toNdjsonLines(list.map(txnRow)),
    ...extra,
  });
  writeSqlite(join(dir, "features", "data", "ledger.db"), list);
  return dir;
}

describe("agg backfill --source: each offline source kind", () => {
  const runs: Record<string, { dir: string; code: number; stdout: string; stderr: string }> = {};

  beforeAll(async () => {
    await inPool(
      2,
      ["ledger_db", "ledger_csv", "ledger_ndjson"].map((name) => async () => {
        const dir = offlineWorkspace(sourceEntries);
        runs[name] = { dir, ...(await runAggAsync(["backfill", "--source", name, "--json"], { cwd: dir })) };
      }),
    );
  });

  it.each(["ledger_db", "ledger_csv", "ledger_ndjson"])("%s: every series equals an independent computation from the source's rows", (name) => {
    const run = runs[name]!;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { status: string; source: string; plan: { bucket: string; rows: number }[]; rows: number };
    expect(out).toMatchObject({ status: "completed", source: name });
    for (const p of out.plan) {
      const size = p.bucket === "1h" ? HOUR : DAY;
      expect(p.rows).toBe(expectedEntries.filter((m) => toMs(m.ts) < ceilTo(newest + 1, size)).length);
    }
    const snapshot = storeOf(run.dir);
    for (const series of LEDGER_SERIES) expect(storedBuckets(snapshot, series), series.name).toEqual(bucketsFrom(expectedEntries, series, newest));
    // The source's rows are not copied into the row log.
    expect(sql(run.dir, "SELECT count(*) AS n FROM rows")).toEqual([{ n: 0 }]);
  });
});

describe("agg backfill --source with bounds", () => {
  it("replaces only the buckets of the range; every other bucket stays byte-identical", async () => {
    // The store holds ingested entries; the source states the same entries with other amounts.
    // A few entries a few hours past the rest, so there are buckets after the range at both sizes.
    const late = [1, 2, 3, 4, 5].map((h) => ({ id: `late-${h}`, account: `a${h}`, shop: "s1", amount: h * 1.25, kind: null, ts: T0 + 6 * DAY + h * HOUR }));
    const ingested = [...input.messages, ...late];
    const changed = finalEntries(ingested).map((m) => ({ ...m, amount: m.amount === null ? 2.25 : m.amount * 2 + 0.5 }));
    const dir = offlineWorkspace(changed, { "events.ndjson": toNdjsonLines(ingested) });
    const ingest = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    const before = rawBuckets(dir);
    const [account] = LEDGER_SERIES as [LedgerSeries];
    const id = seriesIdOf(storeOf(dir), account);

    // Unaligned bounds; within the 1h size's retention of the latest event.
    const lower = T0 + 5 * DAY + 9 * HOUR + 17 * 60_000;
    const upper = T0 + 5 * DAY + 20 * HOUR + 30 * 60_000;
    const run = runAgg(["backfill", "--source", "ledger_ndjson", "--feature", "account.avg", "--lower-bound", new Date(lower).toISOString(), "--upper-bound", String(upper / 1000), "--json"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const range = (size: number): [number, number] => [floorTo(lower, size), ceilTo(upper, size)];
    const inRange = (b: { series: number; bucket_ms: number; start: number }) => b.series === id && b.start >= range(b.bucket_ms)[0] && b.start < range(b.bucket_ms)[1];
    const after = rawBuckets(dir);
    // Outside the range (and every other series): untouched, and the guard that there is such a bucket on each side.
    expect(after.filter((b) => !inRange(b))).toEqual(before.filter((b) => !inRange(b)));
    for (const size of [HOUR, DAY]) {
      expect(before.some((b) => b.series === id && b.bucket_ms === size && b.start < range(size)[0])).toBe(true);
      expect(before.some((b) => b.series === id && b.bucket_ms === size && b.start >= range(size)[1])).toBe(true);
    }
    // Inside: the source's values, under the retention clock the store already had.
    const clock = Math.max(...ingested.filter((m) => m.kind !== "test").map((m) => toMs(m.ts)));
    const expected = bucketsFrom(changed, account, clock, range);
    expect(expected.length).toBeGreaterThan(10);
    const stored = storedBuckets(storeOf(dir), account).filter((b) => b.start >= range(b.bucketMs)[0] && b.start < range(b.bucketMs)[1]);
    expect(stored).toEqual(expected);
  });
});

describe("agg backfill --source: bad sources", () => {
  it("a bad row fails the job with the file and line, and changes no bucket", async () => {
    const dir = offlineWorkspace(entries, { "events.ndjson": toNdjsonLines(input.messages) });
    const lines = toCsv(entries).split("\r\n");
    lines[6] = lines[6]!.replace(/,[^,]*,([^,]*),[^,]*$/, ',"12,5",$1,2024-03-02T10:00:00Z');
    writeFileSync(join(dir, "features", "data", "ledger.csv"), lines.join("\r\n"));
    expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir })).code).toBe(0);
    const before = rawBuckets(dir);

    const run = runAgg(["backfill", "--source", "ledger_csv"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: backfill job 1 failed: offline source "ledger_csv" (features/data/ledger.csv line 7): txn.amount: expected a finite number, got "12,5"');
    expect(run.stderr).toContain("no bucket was changed");
    expect(rawBuckets(dir)).toEqual(before);
    const jobs = JSON.parse(runAgg(["aggregate", "jobs", "--json"], { cwd: dir }).stdout) as { id: number; status: string; error: string; source: string }[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: 1, status: "failed", source: "ledger_csv" });
    expect(jobs[0]!.error).toContain("ledger.csv line 7");
  });

  it("a query that does not run is a project error; a missing file is an input error", () => {
    const dir = offlineWorkspace(entries);
    const query = runAgg(["backfill", "--source", "bad_query"], { cwd: dir });
    expect(query.code).toBe(2);
    expect(query.stderr).toMatch(/offline source "bad_query" \(features\/offline\.ts:\d+\): its query does not run \(no such table: no_such_table\)/);
    const missing = runAgg(["backfill", "--source", "missing"], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/offline source "missing" \(features\/offline\.ts:\d+\): no file at features\/data\/nowhere\.ndjson/);
    const statuses = sql<{ status: string }>(dir, "SELECT status FROM jobs ORDER BY id").map((j) => j.status);
    expect(statuses).toEqual(["failed", "failed"]);
  });
});
