/**
 * A byte flipped inside a stored bucket state (a raw SQLite UPDATE, as a bad disk or a
 * stray write would leave it) is caught by its checksum on every read path: query refuses
 * it ("store corrupt", naming the series, key and bucket), ingest refuses to merge into it,
 * `agg check --store` reports it (exit 1), and `agg backfill` rebuilds it from the row log,
 * after which the answers are the clean ones again. A store from before checksums gets them
 * from its migration.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";

const AT = "2024-03-05T00:00:00Z";
const DAY = 86_400_000;
const QUERY = ["query", "--feature", "user.txn_sum", "--feature", "user.txn_mean", "--id", "u1", "--id", "u2", "--at", AT, "--json"];

interface Listed {
  series: number;
  bucket: string;
  dependentFeatures: string[];
}

/** The series id behind user.txn_sum (its 1d buckets, keyed by user). */
function txnSumSeries(cwd: string, store: string): number {
  const listed = JSON.parse(runAgg(["list", "--json", "--store", store], { cwd }).stdout) as Listed[];
  return listed.find((r) => r.dependentFeatures.includes("user.txn_sum") && r.bucket === "1d")!.series;
}

/** Flips one bit in the middle of user u1's newest 1d state before AT (a query at AT reads it); returns where. */
function flipByte(store: string, series: number): { start: number } {
  const db = new Database(store);
  const bucket = db
    .prepare<[number, number, number], { start: number; state: Buffer }>("SELECT start, state FROM buckets WHERE series_id = ? AND bucket_ms = ? AND k0 = 'u1' AND start < ? ORDER BY start DESC LIMIT 1")
    .get(series, DAY, Date.parse(AT))!;
  const state = Buffer.from(bucket.state);
  state[state.length >> 1]! ^= 0x04;
  db.prepare("UPDATE buckets SET state = ? WHERE series_id = ? AND bucket_ms = ? AND k0 = 'u1' AND start = ?").run(state, series, DAY, bucket.start);
  db.close();
  return { start: bucket.start };
}

describe("a flipped byte in a bucket state", () => {
  const cwd = sampleWorkspace();
  const store = join(cwd, "store.db");
  let clean = "";
  let series = 0;

  beforeAll(() => {
    writeFileSync(join(cwd, "events.ndjson"), toNdjson(generateTransactions({ count: 400, seed: 11, users: 4 })));
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--store", store], { cwd });
    expect(ingest.code, ingest.stderr).toBe(0);
    const answer = runAgg([...QUERY, "--store", store], { cwd });
    expect(answer.code, answer.stderr).toBe(0);
    clean = answer.stdout;
    series = txnSumSeries(cwd, store);
  });

  it("is refused by query and ingest, reported by check --store, and rebuilt by backfill", () => {
    const sound = runAgg(["check", "--store", store], { cwd });
    expect(sound.code, sound.stderr).toBe(0);
    expect(sound.stdout).toMatch(/ok store .*store\.db: integrity check passed, [\d,]+ bucket states match their checksums/);

    const { start } = flipByte(store, series);
    const when = new Date(start).toISOString().replace(".000Z", "Z");
    const where = `series ${series} (1d buckets), key u1, bucket ${when}`;

    const query = runAgg(QUERY.filter((a) => a !== "--json").concat("--store", store), { cwd });
    expect(query.code, query.stdout).toBe(1);
    expect(query.stdout).toBe("");
    expect(query.stderr).toContain(`error: store corrupt: the stored state of ${where} does not match its checksum`);
    expect(query.stderr).toContain("agg check --store");
    expect(query.stderr).toContain("agg backfill");
    const json = runAgg([...QUERY, "--store", store], { cwd });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { error: { code: string; message: string } }).error).toMatchObject({ code: "store", message: expect.stringContaining("store corrupt") });

    const check = runAgg(["check", "--store", store], { cwd });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`error store ${store}: ${where}: the state does not match its checksum`);
    expect(check.stderr).toContain("store corrupt: the store at");
    expect(check.stderr).toContain("agg backfill --feature ");
    const checkJson = JSON.parse(runAgg(["check", "--store", store, "--json"], { cwd }).stdout) as { store: { ok: boolean; damagedCount: number; damaged: unknown[] } };
    expect(checkJson.store).toMatchObject({ ok: false, damagedCount: 1, damaged: [{ series, bucket: "1d", key: ["u1"], start: when }] });

    // A message for the damaged bucket: ingest would have to merge into the bad state.
    const late = { id: "late-1", user_id: "u1", merchant_id: "m1", amount: 5, category: "food", ts: new Date(start + 3_600_000).toISOString() };
    writeFileSync(join(cwd, "late.ndjson"), `${JSON.stringify(late)}\n`);
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "late.ndjson", "--store", store], { cwd });
    expect(ingest.code, ingest.stderr).toBe(1);
    expect(ingest.stderr).toContain(`store corrupt: the stored state of ${where}`);

    const backfill = runAgg(["backfill", "--store", store], { cwd });
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(backfill.stderr).toContain("note: 1 stored bucket of the backfilled ranges failed its checksum (damaged in the store) and was rebuilt from the row log");
    expect(runAgg(["check", "--store", store], { cwd }).code).toBe(0);
    const after = runAgg([...QUERY, "--store", store], { cwd });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(clean);
  });

  it("a store from before checksums gets them from its migration", () => {
    const old = join(cwd, "old.db");
    expect(runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--store", old], { cwd }).code).toBe(0);
    const db = new Database(old);
    // Back to schema 3, the last one without checksums: undo migrations 4 and 5.
    db.exec("ALTER TABLE buckets DROP COLUMN crc");
    db.exec("ALTER TABLE jobs DROP COLUMN pid_start");
    db.pragma("user_version = 3");
    db.close();
    const listed = runAgg(["list", "--store", old], { cwd });
    expect(listed.code, listed.stderr).toBe(0);
    const check = runAgg(["check", "--store", old, "--json"], { cwd });
    expect(check.code, check.stdout).toBe(0);
    expect((JSON.parse(check.stdout) as { store: { ok: boolean; buckets: number } }).store).toMatchObject({ ok: true, buckets: expect.any(Number) });
    expect(runAgg([...QUERY, "--store", old], { cwd }).stdout).toBe(clean);
  });
});
