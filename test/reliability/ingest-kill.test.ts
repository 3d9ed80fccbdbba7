/**
 * Crash safety (SPEC 4): a real `agg ingest` killed with SIGKILL at seeded points of one
 * input, each time re-run to completion, leaves the same row log and buckets as one clean
 * run. The points are row counts: the ingest is killed once the row log holds that many
 * rows, after a further seeded delay of up to 25 ms, so kills land between batches,
 * inside a batch being read and inside a commit. The first point kills a process before
 * it has written anything (opening the store, migrating).
 */
import { createHash } from "node:crypto";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_PROJECT, startAgg, tempDir } from "../helpers/cli.js";
import { generateTransactions, prng, type TestTransaction } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

/**
 * Messages in the input, and kill points. A fresh store per kill, each kill followed by a
 * full re-run: 20 kills cost about 31 x MESSAGES messages of ingest and 41 process starts,
 * so this file stays small; ingest-kill-chain.test.ts kills one store 20 times over a
 * 200,000-message input.
 */
const MESSAGES = 10_000;
const KILLS = 20;
const SEED = 20_240_301;

/** Seeded transactions with exact re-sends and re-sends with other content (the replace path). */
function messages(): TestTransaction[] {
  const random = prng(SEED);
  const out = generateTransactions({ count: Math.round(MESSAGES * 0.95), seed: SEED, users: 200, merchants: 20 });
  while (out.length < MESSAGES) {
    const original = out[Math.floor(random() * out.length)]!;
    const at = Math.min(out.length, out.indexOf(original) + 1 + Math.floor(random() * 2000));
    const changed = random() < 0.5 ? { ...original } : { ...original, amount: original.amount + 1, ts: new Date(Date.parse(original.ts) - 3_600_000).toISOString() };
    out.splice(at, 0, changed);
  }
  return out;
}

/** A digest of everything compared, so 20 comparisons of large stores stay cheap. */
function digest(snapshot: StoreSnapshot): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(snapshot.series));
  for (const row of snapshot.rows) hash.update(JSON.stringify(row));
  for (const bucket of snapshot.buckets) hash.update(JSON.stringify(bucket));
  return hash.digest("hex");
}

describe(`agg ingest killed with SIGKILL at ${KILLS} points of a ${MESSAGES.toLocaleString("en-US")}-message input`, () => {
  const dir = tempDir("agg-kill-");
  const input = join(dir, "events.ndjson");
  const storeOf = (name: string) => join(dir, `${name}.db`);
  // One project folder for every run: the TypeScript loader's cache stays warm.
  const ingest = (store: string, batch = 5000) => ["ingest", "--project", "features", "--store", store, "--source", "transactions", "--file", input, "--batch-size", String(batch)];
  let clean: StoreSnapshot;

  beforeAll(async () => {
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
    writeFileSync(input, messages().map((m) => JSON.stringify(m)).join("\n") + "\n");
    const run = await runAggAsync(ingest(storeOf("clean")), { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    clean = readStore(storeOf("clean"));
    expect(clean.rows.length).toBeGreaterThan(MESSAGES * 0.9);
  });

  it("each time, the re-run ends with the same row log and buckets as one clean run", { timeout: 300_000 }, async () => {
    const random = prng(SEED + 1);
    const expected = digest(clean);
    const outcomes: { point: number; batch: number; rowsAtKill: number; killed: boolean }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const store = storeOf(`kill-${k}`);
      // Points stop short of the end, so a batch is still to come when the kill lands.
      const point = k === 0 ? 0 : Math.floor(random() * clean.rows.length * 0.85);
      const batch = 50 + Math.floor(random() * 2000);
      const delay = k === 0 ? Math.floor(random() * 400) : Math.floor(random() * 25);
      const child = startAgg(ingest(store, batch), { cwd: dir });
      child.stdin.end();
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once("close", (_code, signal) => resolve(signal)));
      let exited = false;
      void exit.then(() => (exited = true));
      while (!exited && point > 0 && countRows(store) < point) await sleep(10);
      await sleep(delay);
      child.kill("SIGKILL");
      const signal = await exit;
      outcomes.push({ point, batch, rowsAtKill: countRows(store), killed: signal === "SIGKILL" });

      const rerun = await runAggAsync(ingest(store), { cwd: dir });
      expect(rerun.code, `kill ${k} at ${point} rows: ${rerun.stderr}`).toBe(0);
      const after = readStore(store);
      if (digest(after) !== expected) {
        // Show what differs.
        expect(after.rows, `kill ${k}`).toEqual(clean.rows);
        expect(after.buckets, `kill ${k}`).toEqual(clean.buckets);
        expect(after.series, `kill ${k}`).toEqual(clean.series);
      }
    }
    // Guards the test itself: the kills happened mid-way, not after the ingest was done.
    expect(outcomes.filter((o) => o.killed && o.rowsAtKill < clean.rows.length).length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(KILLS - 2);
  });
});
