/**
 * Crash safety at size (SPEC 4): a 200,000-message input, and one store that a real
 * `agg ingest` is killed on with SIGKILL 20 times. Each run re-reads the same input from
 * its first line (as an operator would re-run it) and is killed at the next seeded point,
 * a row count in the row log plus a seeded delay, so kills land inside batches being read,
 * between batches and inside commits, with a different batch size each time. After the
 * 20th kill one more run goes to completion, and the store must equal one clean run's:
 * every row once, every bucket and series clock the same.
 *
 * ingest-kill.test.ts does the same on a smaller input with a fresh store per kill; this
 * file checks that nothing drifts when crashes pile up on a large store.
 */
import { createHash } from "node:crypto";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_PROJECT, startAgg, tempDir } from "../helpers/cli.js";
import { generateTransactions, prng } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

const MESSAGES = 200_000;
const KILLS = 20;
const SEED = 20_261_123;

function digest(snapshot: StoreSnapshot): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(snapshot.series));
  for (const row of snapshot.rows) hash.update(JSON.stringify(row));
  for (const bucket of snapshot.buckets) hash.update(JSON.stringify(bucket));
  for (const state of snapshot.states) hash.update(state);
  return hash.digest("hex");
}

describe(`agg ingest killed ${KILLS} times on one store, over a ${MESSAGES.toLocaleString("en-US")}-message input`, () => {
  const dir = tempDir("agg-kill-chain-");
  const input = join(dir, "events.ndjson");
  const ingest = (store: string, batch?: number) => [
    "ingest",
    "--project",
    "features",
    "--store",
    store,
    "--source",
    "transactions",
    "--file",
    input,
    ...(batch === undefined ? [] : ["--batch-size", String(batch)]),
  ];
  let clean: StoreSnapshot;

  beforeAll(async () => {
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    // A stream in event-time order, as a topic mostly delivers it.
    const events = generateTransactions({ count: MESSAGES, seed: SEED, users: 5_000, merchants: 200 }).sort((a, b) => a.ts.localeCompare(b.ts));
    writeFileSync(input, events.map((m) => JSON.stringify(m)).join("\n") + "\n");
    const run = await runAggAsync(ingest(join(dir, "clean.db")), { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    clean = readStore(join(dir, "clean.db"));
    expect(clean.rows.length).toBe(MESSAGES);
  }, 600_000);

  it("after 20 kills and one run to completion, the store equals a clean run's", { timeout: 900_000 }, async () => {
    const random = prng(SEED + 1);
    const store = join(dir, "killed.db");
    // Increasing points, so every run gets further than the one before it.
    const points = Array.from({ length: KILLS }, () => Math.floor(random() * MESSAGES)).sort((a, b) => a - b);
    const seen: { point: number; batch: number; rowsAtKill: number; killed: boolean }[] = [];
    let before = 0;
    for (const point of points) {
      const batch = [500, 5_000, 50_000][Math.floor(random() * 3)]!;
      const child = startAgg(ingest(store, batch), { cwd: dir });
      child.stdin.end();
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once("close", (_code, signal) => resolve(signal)));
      let exited = false;
      void exit.then(() => (exited = true));
      while (!exited && countRows(store) < point) await sleep(5);
      await sleep(Math.floor(random() * 40));
      child.kill("SIGKILL");
      const signal = await exit;
      const rowsAtKill = countRows(store);
      seen.push({ point, batch, rowsAtKill, killed: signal === "SIGKILL" });
      // A committed row is never lost by a later crash.
      expect(rowsAtKill, JSON.stringify(seen)).toBeGreaterThanOrEqual(before);
      before = rowsAtKill;
    }
    const last = await runAggAsync(ingest(store), { cwd: dir });
    expect(last.code, last.stderr).toBe(0);
    const after = readStore(store);
    if (digest(after) !== digest(clean)) {
      expect(after.rows.length).toBe(clean.rows.length);
      expect(after.rows).toEqual(clean.rows);
      expect(after.series).toEqual(clean.series);
      expect(after.buckets).toEqual(clean.buckets);
      expect(after.states).toEqual(clean.states);
    }
    // Guards the test itself: most kills hit a run that was still going.
    expect(seen.filter((s) => s.killed && s.rowsAtKill < MESSAGES).length, JSON.stringify(seen)).toBeGreaterThanOrEqual(KILLS - 2);
  });
});
