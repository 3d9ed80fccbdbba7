/**
 * Re-sent rows with other content (SPEC 3): their buckets are rebuilt from the row log
 * once per transaction, however many slices of it touched them. Whatever the batch size,
 * the store equals one that only ever saw the final version of each row, and every
 * bucket equals an independent sum of the logged rows.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, SAMPLE_PROJECT, tempDir } from "../helpers/cli.js";
import { generateTransactions, prng, toNdjson, type TestTransaction } from "../helpers/events.js";
import { readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * `count` transactions, then 4% re-sends with other content placed up to 8,000 messages
 * after the version they replace (so in a later slice of 2,000 rows, or a later
 * transaction): other amounts, times moved by up to a day either way (into other
 * buckets), other users and merchants, some re-sent twice, plus exact duplicates.
 */
function withResends(count: number, spanMs: number, seed: number): { input: TestTransaction[]; final: TestTransaction[] } {
  const random = prng(seed);
  const start = Date.UTC(2024, 1, 1);
  const input = generateTransactions({ count, seed, users: 150, merchants: 12, start, spanMs });
  for (let k = 0; k < count * 0.05; k++) {
    const at = Math.floor(random() * input.length);
    const latest = input[at]!;
    const kind = random();
    const resend =
      kind < 0.2
        ? { ...latest }
        : {
            ...latest,
            amount: Math.round(random() * 100_000 - 5_000) / 100,
            ...(kind < 0.6 && { ts: new Date(Math.min(start + spanMs - 1, Math.max(start, Date.parse(latest.ts) + Math.floor((random() * 2 - 1) * DAY)))).toISOString() }),
            ...(kind > 0.8 && { user_id: `u${Math.floor(random() * 150)}`, merchant_id: `m${Math.floor(random() * 12)}` }),
          };
    input.splice(Math.min(input.length, at + 1 + Math.floor(random() * 8000)), 0, resend);
  }
  const last = new Map<string, TestTransaction>();
  for (const t of input) last.set(t.id, t);
  return { input, final: [...last.values()] };
}

function ingest(dir: string, store: string, file: string, batch: number) {
  const result = runAgg(["ingest", "--source", "transactions", "--file", file, "--store", store, "--batch-size", String(batch), "--json"], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { replaced: number; duplicates: number };
}

/** What must be equal: the row log and every bucket's finished values, not the series' bookkeeping. */
function contents(snapshot: StoreSnapshot) {
  return { rows: snapshot.rows, buckets: snapshot.buckets };
}

describe("re-sent rows with other content", () => {
  const dir = tempDir("agg-replaced-");
  beforeAll(() => {
    cpSync(SAMPLE_PROJECT, join(dir, "features"), { recursive: true });
  });

  it("within every retention: any batch size gives the store of the final versions alone", () => {
    // 20 hours: no size drops a bucket, so the final versions alone make the same buckets.
    const { input, final } = withResends(20_000, 20 * HOUR, 41);
    writeFileSync(join(dir, "in.ndjson"), toNdjson(input));
    writeFileSync(join(dir, "final.ndjson"), toNdjson(final));
    ingest(dir, "final.db", "final.ndjson", 50_000);
    const clean = contents(readStore(join(dir, "final.db")));
    for (const batch of [50_000, 3_000, 700]) {
      const summary = ingest(dir, `in-${batch}.db`, "in.ndjson", batch);
      expect(summary.replaced).toBeGreaterThan(500);
      expect(summary.duplicates).toBeGreaterThan(100);
      const got = contents(readStore(join(dir, `in-${batch}.db`)));
      expect(got.rows).toEqual(clean.rows);
      expect(got.buckets.length).toBe(clean.buckets.length);
      expect(got.buckets).toEqual(clean.buckets);
    }
  });

  it("over 40 days, with retention dropping buckets: every bucket is the sum of its logged rows", () => {
    const { input, final } = withResends(20_000, 40 * DAY, 42);
    writeFileSync(join(dir, "long.ndjson"), toNdjson(input));
    ingest(dir, "long-a.db", "long.ndjson", 50_000);
    ingest(dir, "long-b.db", "long.ndjson", 1_500);
    const a = readStore(join(dir, "long-a.db"));
    const b = readStore(join(dir, "long-b.db"));
    expect(contents(a)).toEqual(contents(b));

    // user.txn_sum's series: keyed by user, 1d buckets kept 30 days past the newest event seen.
    const series = a.series.find((s) => s.keys.join() === "user_id" && s.filter === "")!;
    const clock = input.reduce((max, t) => Math.max(max, Date.parse(t.ts)), -Infinity);
    const cutoff = clock - 30 * DAY - DAY;
    const expected = new Map<string, { sum: number; count: number }>();
    for (const t of final) {
      const start = Date.parse(t.ts) - (Date.parse(t.ts) % DAY);
      if (start + DAY <= cutoff) continue;
      const key = `${t.user_id}@${start}`;
      const e = expected.get(key) ?? { sum: 0, count: 0 };
      // Amounts have two decimals: sum them in cents, exactly.
      e.sum += Math.round(t.amount * 100);
      e.count++;
      expected.set(key, e);
    }
    const stored = a.buckets.filter((bk) => bk.series === series.id && bk.bucketMs === DAY);
    expect(stored.length).toBe(expected.size);
    for (const bk of stored) {
      const e = expected.get(`${bk.keys[0]}@${bk.start}`);
      expect(e, `${bk.keys[0]} ${new Date(bk.start).toISOString()}`).toBeDefined();
      expect(bk.values.count).toBe(e!.count);
      expect(Math.round((bk.values.sum as number) * 100)).toBe(e!.sum);
    }
  });
});
