/**
 * A backfill of a series that was never filled, run while `agg ingest` streams into the
 * same store, must count every row exactly once: the store it leaves equals a sequential
 * run (ingest, then backfill) byte for byte, and the served values equal an independent
 * computation over all rows. Two ways a series is never filled: its history was logged by
 * a resolver that does not update buckets, or its feature was added after rows were logged.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SAMPLE_PROJECT, startAgg, tempDir } from "../helpers/cli.js";
import { seededTxns, type Txn } from "../helpers/events.js";
import { DAY, inOverlappingBuckets, sum } from "../helpers/reference.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows } from "../fixtures/ingest/store-snapshot.js";

const START = Date.UTC(2024, 1, 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ARCHIVE = `import { stream } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";

/** Replayed history: logged only; backfill fills the buckets. */
export const archive = stream({
  source: "archive",
  message: z.object({ id: z.string(), user_id: z.string(), merchant_id: z.string(), amount: z.number(), category: z.string().nullable(), ts: z.string() }),
  output: Transaction,
  resolve: (m) => m,
  updatesMaterializedAggregations: false,
});
`;

const NEW_FEATURE = `  txn_min: windowed("30d", {
    expression: Transaction.amount.min(),
    materialization: { bucketDuration: "1d" },
  }),
`;

/** Amounts are quarters, so every sum is exact in any order and states compare byte for byte. */
const ndjson = (txns: readonly Txn[]) => txns.map((t) => JSON.stringify({ ...t, ts: new Date(t.ts).toISOString() })).join("\n") + "\n";

interface Case {
  readonly name: string;
  /** How the history gets into the store: which source, and what the project looks like after. */
  readonly historySource: string;
  readonly history: number;
  readonly live: number;
  readonly editAfterHistory?: (dir: string) => void;
  readonly backfillArgs: readonly string[];
  /**
   * The live stream's source; "archive" logs rows without buckets too (the scheduled-
   * backfill workflow): rows it logs into ranges the backfill already replaced stay out of
   * the buckets, so the values must be exact at once and the store equal after one more backfill.
   */
  readonly liveSource?: string;
}

const CASES: readonly Case[] = [
  { name: "history logged by a resolver that does not update buckets", historySource: "archive", history: 100_000, live: 200_000, backfillArgs: [] },
  {
    name: "a feature added after its rows were logged",
    historySource: "transactions",
    history: 60_000,
    live: 100_000,
    editAfterHistory: (dir) => {
      const user = join(dir, "features", "user.ts");
      writeFileSync(user, readFileSync(user, "utf8").replace("  txn_max: windowed(", `${NEW_FEATURE}  txn_max: windowed(`));
    },
    backfillArgs: ["--feature", "user.txn_min"],
  },
  { name: "history and the live stream both logged without buckets", historySource: "archive", liveSource: "archive", history: 60_000, live: 100_000, backfillArgs: [] },
];

/** Every bucket as stored, sorted, with its state bytes. */
function buckets(store: string): unknown[] {
  const db = new Database(store, { readonly: true });
  try {
    return db.prepare("SELECT series_id, bucket_ms, k0, k1, k2, k3, start, rows, hex(state) AS state FROM buckets ORDER BY series_id, bucket_ms, k0, k1, k2, k3, start").all();
  } finally {
    db.close();
  }
}

describe.each(CASES)("a backfill during an ingest: $name", (c) => {
  it(`counts each of ${(c.history + c.live).toLocaleString("en-US")} rows once, equal to the sequential run`, { timeout: 240_000 }, async () => {
    const dir = tempDir("agg-bf-ingest-");
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    writeFileSync(join(dir, "features", "archive.ts"), ARCHIVE);
    // History over 30 days; live rows over its last 10 days (late rows inside the ranges the
    // backfill replaces) and 10 days after.
    const history = seededTxns(c.history, START, 30 * DAY, 21, { id: (i) => `h${i}`, categories: ["food", "travel", null] });
    const live = seededTxns(c.live, START + 20 * DAY, 20 * DAY, 22, { id: (i) => `l${i}`, categories: ["food", "bars", null] });
    writeFileSync(join(dir, "history.ndjson"), ndjson(history));
    writeFileSync(join(dir, "live.ndjson"), ndjson(live));
    const concurrent = join(dir, "concurrent.db");
    const sequential = join(dir, "sequential.db");
    const agg = (store: string, ...args: string[]) => runAggAsync([...args, "--store", store], { cwd: dir });
    for (const store of [concurrent, sequential]) {
      const run = await agg(store, "ingest", "--source", c.historySource, "--file", "history.ndjson");
      expect(run.code, run.stderr).toBe(0);
    }
    c.editAfterHistory?.(dir);

    // Sequential: ingest everything, then backfill.
    const liveSource = c.liveSource ?? "transactions";
    const ingested = await agg(sequential, "ingest", "--source", liveSource, "--file", "live.ndjson");
    expect(ingested.code, ingested.stderr).toBe(0);
    const filled = await agg(sequential, "backfill", ...c.backfillArgs);
    expect(filled.code, filled.stderr).toBe(0);

    // Concurrent: the backfill starts once the ingest has committed some batches, and
    // finishes while it still runs (small batches: many commits for the chunks to meet).
    const ingest = startAgg(["ingest", "--source", liveSource, "--file", "live.ndjson", "--batch-size", "200", "--store", concurrent], { cwd: dir });
    ingest.stdin.end();
    let stderr = "";
    ingest.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let done = false;
    const exit = new Promise<number | null>((resolve) => ingest.on("close", (code) => ((done = true), resolve(code))));
    while (!done && countRows(concurrent) < c.history + 2_000) await sleep(20);
    const atStart = countRows(concurrent);
    const backfill = await agg(concurrent, "backfill", ...c.backfillArgs);
    const atEnd = countRows(concurrent);
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(await exit, stderr).toBe(0);
    // Guards the test itself: the ingest committed rows before, during and after the backfill.
    expect(atStart).toBeGreaterThan(c.history);
    expect(atEnd).toBeGreaterThan(atStart);
    expect(atEnd).toBeLessThan(c.history + c.live);

    // Served values, exact whatever the store still lacks.
    const all = [...history, ...live];
    const at = START + 40 * DAY - 1;
    const features = ["user.txn_sum", "user.txn_count", ...(c.editAfterHistory ? ["user.txn_min"] : [])];
    const expectExact = async (statuses: readonly string[]) => {
      const query = await agg(concurrent, "query", ...features.flatMap((f) => ["--feature", f]), "--id", "u0", "--id", "u3", "--at", new Date(at).toISOString(), "--json");
      expect(query.code, query.stderr).toBe(0);
      const answer = JSON.parse(query.stdout) as { rows: { id: string; values: Record<string, number>; status: Record<string, string> }[] };
      for (const row of answer.rows) {
        const mine = all.filter((t) => t.user_id === row.id);
        for (const days of [1, 7, 30]) {
          const covered = inOverlappingBuckets(mine, at, days * DAY, DAY).map((t) => t.amount);
          expect(row.values[`user.txn_sum__${days * 86_400}__`], `${row.id} txn_sum ${days}d`).toBe(sum(covered));
          expect(row.values[`user.txn_count__${days * 86_400}__`], `${row.id} txn_count ${days}d`).toBe(covered.length);
        }
        if (c.editAfterHistory) expect(row.values["user.txn_min__2592000__"]).toBe(Math.min(...inOverlappingBuckets(mine, at, 30 * DAY, DAY).map((t) => t.amount)));
        for (const status of Object.values(row.status)) expect(statuses).toContain(status);
      }
    };
    if (c.liveSource === "archive") {
      await expectExact(["present", "row_log"]);
      const again = await agg(concurrent, "backfill", ...c.backfillArgs);
      expect(again.code, again.stderr).toBe(0);
    }

    expect(buckets(concurrent)).toEqual(buckets(sequential));
    for (const store of [concurrent, sequential]) {
      const check = await runAggAsync(["check", "--json"], { cwd: dir, env: { AGG_STORE: store } });
      expect(check.code, check.stderr).toBe(0);
      expect((JSON.parse(check.stdout) as { needsBackfill: unknown[] }).needsBackfill).toEqual([]);
    }

    // Served from the buckets, equal to plain arithmetic over every row.
    await expectExact(["present"]);
  });
});
