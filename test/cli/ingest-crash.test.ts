import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { sampleWorkspace, startAgg } from "../helpers/cli.js";
import { generateTransactions, prng, type TestTransaction } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

const BATCH = 50;

/** Transactions in random time order, with exact re-sends and re-sends with other content. */
function messages(): TestTransaction[] {
  const random = prng(11);
  const out = generateTransactions({ count: 1500, seed: 11, users: 30, merchants: 6 });
  for (let i = 0; i < 80; i++) {
    const original = out[Math.floor(random() * out.length)]!;
    const at = out.indexOf(original) + 1 + Math.floor(random() * 300);
    const changed = i % 2 === 0 ? { ...original } : { ...original, amount: original.amount + 1, ts: new Date(Date.parse(original.ts) - 86_400_000).toISOString() };
    out.splice(at, 0, changed);
  }
  return out;
}

const events = messages();
const lines = events.map((e) => JSON.stringify(e));
const storeOf = (dir: string) => join(dir, ".agg", "store.db");
const ingestArgs = ["ingest", "--source", "transactions", "--batch-size", String(BATCH)];

function workspace(): string {
  const dir = sampleWorkspace();
  writeFileSync(join(dir, "events.ndjson"), lines.join("\n") + "\n");
  return dir;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (condition()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Equal row logs, and equal buckets: same keys, row counts and value of every aggregation. */
function expectSameStore(actual: StoreSnapshot, expected: StoreSnapshot): void {
  expect(actual.rows.length).toBe(expected.rows.length);
  expect(actual.rows).toEqual(expected.rows);
  expect(actual.buckets.length).toBe(expected.buckets.length);
  expect(actual.buckets).toEqual(expected.buckets);
  expect(actual.series).toEqual(expected.series);
}

describe("agg ingest survives kill -9 and concurrent writers", () => {
  let clean: StoreSnapshot;

  beforeAll(async () => {
    const dir = workspace();
    const result = await runAggAsync([...ingestArgs, "--file", "events.ndjson"], { cwd: dir });
    expect(result.code).toBe(0);
    clean = readStore(storeOf(dir));
    expect(clean.buckets.length).toBeGreaterThan(1000);
  });

  it("killed at several points, then re-run, the store equals one clean run's", async () => {
    const dir = workspace();
    const store = storeOf(dir);

    // 1. Between batches, with half a batch read but (most likely: a quiet stream's batch
    //    is committed after a second) not committed: feed 10.5 batches through stdin and
    //    kill once the 10 full ones are in the log.
    const first = startAgg(ingestArgs, { cwd: dir });
    first.stdin.write(lines.slice(0, 10 * BATCH + BATCH / 2).join("\n") + "\n");
    const committed = new Set(events.slice(0, 10 * BATCH).map((e) => e.id)).size;
    await waitFor(() => countRows(store) >= committed, "ten committed batches");
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("close", resolve));

    // 2. and 3. Anywhere at all: as soon as a new batch shows up, from stdin and from a file.
    for (const args of [ingestArgs, [...ingestArgs, "--file", "events.ndjson"]]) {
      const before = countRows(store);
      const child = startAgg(args, { cwd: dir });
      if (!args.includes("--file")) child.stdin.write(lines.join("\n") + "\n");
      await waitFor(() => countRows(store) > before || child.exitCode !== null, "another committed batch");
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
    }
    expect(countRows(store)).toBeLessThan(clean.rows.length);

    const rerun = await runAggAsync([...ingestArgs, "--file", "events.ndjson"], { cwd: dir });
    expect(rerun.code).toBe(0);
    expectSameStore(readStore(store), clean);
  });

  it("two processes on disjoint halves of the input equal one run over all of it", async () => {
    const dir = workspace();
    // Split by id, so each id's re-sends stay in order in one half.
    const half = (odd: number) => lines.filter((_, i) => Number(events[i]!.id.slice(1)) % 2 === odd).join("\n") + "\n";
    writeFileSync(join(dir, "even.ndjson"), half(0));
    writeFileSync(join(dir, "odd.ndjson"), half(1));
    const [even, odd] = await Promise.all([
      runAggAsync([...ingestArgs, "--file", "even.ndjson"], { cwd: dir }),
      runAggAsync([...ingestArgs, "--file", "odd.ndjson"], { cwd: dir }),
    ]);
    expect([even.code, odd.code, even.stderr + odd.stderr]).toEqual([0, 0, expect.not.stringContaining("error")]);
    expectSameStore(readStore(storeOf(dir)), clean);
  });
});
