import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { runAgg, startAgg } from "../helpers/cli.js";
import { DAY, LEDGER_SERIES, T0, ledgerInput, sortBuckets, toMs, toNdjsonLines, type LedgerInput, type LedgerMessage } from "../fixtures/ingest/ledger-events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore, countRows } from "../fixtures/ingest/store-snapshot.js";
import { bucketsFrom, ceilTo, finalEntries, floorTo, ledgerWorkspace, rawBuckets, sql, storePathOf, storedBuckets, txnRow } from "./backfill-fixture.js";

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

/** `count` rows for an offline source over the ledger's days, as ledger entries. */
function bigRows(count: number): LedgerMessage[] {
  return Array.from({ length: count }, (_, i) => ({ id: `b${i}`, account: `a${i % 7}`, shop: `s${i % 3}`, amount: (i % 400) / 4, kind: i % 5 ? null : "food", ts: T0 + ((i * 7919) % (6 * DAY)) }));
}

/**
 * The ledger project with its entries ingested, plus an offline source "big" of `rows`
 * rows: big enough that a backfill from it is still running when it is killed.
 */
async function bigSourceWorkspace(input: LedgerInput, rows: number): Promise<string> {
  const dir = ledgerWorkspace({
    "events.ndjson": toNdjsonLines(input.messages),
    "features/data/big.ndjson": bigRows(rows).map((m) => JSON.stringify(txnRow(m))).join("\n") + "\n",
    "features/big.ts": 'import { offlineSource } from "agg";\nimport { Txn } from "./txn.js";\nexport const big = offlineSource({ name: "big", output: Txn, ndjson: "data/big.ndjson" });\n',
  });
  expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir })).code).toBe(0);
  return dir;
}

type RawBucket = ReturnType<typeof rawBuckets>[number];

/**
 * Chunks are replaced newest first, each in one transaction: within each (series, size)
 * the buckets from some start X on must be the new ones and those before X the old ones.
 */
function expectOldBelowNewAbove(mid: RawBucket[], before: RawBucket[], after: RawBucket[]): void {
  const group = (b: RawBucket) => `${b.series}|${b.bucket_ms}`;
  const text = (buckets: RawBucket[]) => JSON.stringify(buckets.map((b) => JSON.stringify(b)).sort());
  for (const g of new Set([...mid, ...before, ...after].map(group))) {
    const [m, o, n] = [mid, before, after].map((all) => all.filter((b) => group(b) === g));
    const cuts = [...new Set([...m!, ...o!, ...n!].map((b) => b.start)), Infinity];
    const fits = cuts.some((x) => text(m!) === text([...o!.filter((b) => b.start < x), ...n!.filter((b) => b.start >= x)]));
    expect(fits, `series|bucket ${g}: buckets are neither old below a cut nor new above it`).toBe(true);
  }
}

describe("a backfill killed mid-way", () => {
  it("killed after any commit: each range is wholly old or wholly new, and a re-run ends as if never killed", async () => {
    // 60,000 rows: two chunks for each of the four (series, size) pairs.
    const input = ledgerInput(9, 300);
    const dir = await bigSourceWorkspace(input, 60_000);
    const states = [rawBuckets(dir)];
    const watcher = new Database(storePathOf(dir), { readonly: true });
    const dataVersion = watcher.prepare<[], number>("PRAGMA data_version").pluck();

    // Each run is killed right after the k-th commit it is seen to make (k = 1, 2, 3, ...),
    // until one gets to finish: a crash at each point between two commits, in turn.
    let finished = false;
    try {
      for (let k = 1; !finished && k <= 60; k++) {
        const backfill = startAgg(["backfill", "--source", "big"], { cwd: dir });
        backfill.stdin.end();
        const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => backfill.on("close", (code, signal) => resolve({ code, signal })));
        let exited = false;
        void exit.then(() => (exited = true));
        let version = dataVersion.get();
        for (let commits = 0; !exited && commits < k; await sleep(1)) {
          const now = dataVersion.get();
          if (now !== version) [version, commits] = [now, commits + 1];
        }
        backfill.kill("SIGKILL");
        const { code, signal } = await exit;
        states.push(rawBuckets(dir));
        finished = signal !== "SIGKILL";
        if (finished) expect(code).toBe(0);
      }
    } finally {
      watcher.close();
    }
    expect(finished, "no run got to finish").toBe(true);

    // The end state is what one backfill from "big" gives, computed here: big's rows over
    // the bucket-aligned range they span, the ingested entries outside it.
    const snapshot = readStore(storePathOf(dir));
    const big = bigRows(60_000);
    const live = input.messages.filter((m) => m.kind !== "test");
    const clock = Math.max(...live.map((m) => toMs(m.ts)), ...big.map((m) => toMs(m.ts)));
    const [oldest, newest] = [Math.min(...big.map((m) => toMs(m.ts))), Math.max(...big.map((m) => toMs(m.ts)))];
    const inside = (size: number): [number, number] => [floorTo(oldest, size), ceilTo(newest + 1, size)];
    for (const series of LEDGER_SERIES) {
      const expected = [
        ...bucketsFrom(big, series, clock, inside),
        ...bucketsFrom(finalEntries(live), series, clock, (size) => [-Infinity, inside(size)[0]]),
        ...bucketsFrom(finalEntries(live), series, clock, (size) => [inside(size)[1], Infinity]),
      ];
      expect(storedBuckets(snapshot, series), series.name).toEqual(sortBuckets(expected));
    }
    // Each killed run left every range either as the run before it left it, or as the end state.
    const after = states.at(-1)!;
    for (let k = 1; k < states.length; k++) expectOldBelowNewAbove(states[k]!, states[k - 1]!, after);
    // Guards the test itself: some kill left old and new buckets side by side.
    expect(states.some((state) => state !== after && JSON.stringify(state) !== JSON.stringify(states[0]) && JSON.stringify(state) !== JSON.stringify(after))).toBe(true);
  });

  it("leaves the previous buckets intact, and the next run marks its job failed", async () => {
    const dir = await bigSourceWorkspace(ledgerInput(9, 300), 120_000);
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
