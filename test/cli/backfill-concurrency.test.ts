import { describe, expect, it } from "vitest";
import { runAgg, startAgg } from "../helpers/cli.js";
import { DAY, LEDGER_SERIES, T0, ledgerInput, toMs, toNdjsonLines } from "../fixtures/ingest/ledger-events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore, countRows } from "../fixtures/ingest/store-snapshot.js";
import { bucketsFrom, finalEntries, ledgerWorkspace, rawBuckets, sql, storePathOf, storedBuckets } from "./backfill-fixture.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("agg backfill next to a running ingest", () => {
  it("final buckets equal a clean computation over all rows, however the two interleave", async () => {
    const input = ledgerInput(3, 5000);
    const cut = Math.floor(input.messages.length * 0.3);
    const dir = ledgerWorkspace({ "first.ndjson": toNdjsonLines(input.messages.slice(0, cut)), "rest.ndjson": toNdjsonLines(input.messages.slice(cut)) });
    expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "first.ndjson"], { cwd: dir })).code).toBe(0);
    const logged = countRows(storePathOf(dir));

    // Small batches: many short write transactions for the backfills to slip between.
    const ingest = startAgg(["ingest", "--source", "ledger", "--file", "rest.ndjson", "--batch-size", "4"], { cwd: dir });
    let ingestDone = false;
    const ingestExit = new Promise<number | null>((resolve) => ingest.on("close", (code) => ((ingestDone = true), resolve(code))));
    ingest.stdin.end();
    while (!ingestDone && countRows(storePathOf(dir)) === logged) await sleep(20);
    const backfills: { code: number; rows: number; during: boolean }[] = [];
    do {
      const during = !ingestDone;
      const run = await runAggAsync(["backfill", "--json"], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      backfills.push({ code: run.code, rows: (JSON.parse(run.stdout) as { rows: number }).rows, during });
    } while (!ingestDone);
    expect(await ingestExit).toBe(0);

    const snapshot = readStore(storePathOf(dir));
    const live = input.messages.filter((m) => m.kind !== "test");
    const clock = Math.max(...live.map((m) => toMs(m.ts)));
    for (const series of LEDGER_SERIES) expect(storedBuckets(snapshot, series), series.name).toEqual(bucketsFrom(finalEntries(live), series, clock));
    expect(snapshot.rows).toHaveLength(finalEntries(input.messages).length);
    // Guards the test itself: a backfill ran while the ingest was still writing.
    expect(backfills.some((b) => b.during)).toBe(true);
    expect(sql<{ status: string }>(dir, "SELECT status FROM jobs").every((j) => j.status === "completed")).toBe(true);
  });
});

describe("a backfill killed mid-way", () => {
  it("leaves the previous buckets intact, and the next run marks its job failed", async () => {
    const input = ledgerInput(9, 300);
    // A source big enough that the backfill is still reading it when it is killed.
    const big: string[] = [];
    for (let i = 0; i < 120_000; i++) big.push(JSON.stringify({ id: `b${i}`, account_id: `a${i % 7}`, shop_id: `s${i % 3}`, amount: (i % 400) / 4, kind: i % 5 ? null : "food", ts: T0 + ((i * 7919) % (6 * DAY)) }));
    const dir = ledgerWorkspace({
      "events.ndjson": toNdjsonLines(input.messages),
      "features/data/big.ndjson": big.join("\n") + "\n",
      "features/big.ts": 'import { offlineSource } from "agg";\nimport { Txn } from "./txn.js";\nexport const big = offlineSource({ name: "big", output: Txn, ndjson: "data/big.ndjson" });\n',
    });
    expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir })).code).toBe(0);
    const before = rawBuckets(dir);
    expect(before.length).toBeGreaterThan(0);

    const backfill = startAgg(["backfill", "--source", "big"], { cwd: dir });
    backfill.stdin.end();
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => backfill.on("close", (code, signal) => resolve({ code, signal })));
    let exited = false;
    void exit.then(() => (exited = true));
    while (!exited && sql(dir, "SELECT id FROM jobs WHERE status = 'working'").length === 0) await sleep(10);
    backfill.kill("SIGKILL");
    const { signal } = await exit;
    expect(signal, "the backfill finished before it could be killed; make the source bigger").toBe("SIGKILL");

    expect(rawBuckets(dir)).toEqual(before);
    expect(sql(dir, "SELECT status, pid FROM jobs")).toEqual([{ status: "working", pid: backfill.pid }]);
    const jobs = runAgg(["aggregate", "jobs", "--json"], { cwd: dir });
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.stdout)).toMatchObject([{ id: 1, status: "failed", source: "big", error: `stale: process ${backfill.pid} is gone` }]);

    // The store is usable as before: a backfill from the row log completes and changes nothing.
    const again = runAgg(["backfill", "--json"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ job: 2, status: "completed" });
    expect(rawBuckets(dir)).toEqual(before);
  });
});
