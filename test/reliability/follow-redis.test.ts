/**
 * `agg ingest --follow` on a real redis-server (started here on loopback): what a
 * consumer group reads ends in the same store as a file ingest of the same messages,
 * through kill -9 of the consumer, a second consumer killed midway, and a restart of
 * redis itself. Entries are acknowledged only after their batch commits, so every kill
 * redelivers entries that are either duplicates (committed) or new (never applied).
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgg, tempDir } from "../helpers/cli.js";
import { groupState, produce, redisClient, startRedis, type RedisClient, type RedisServer } from "../helpers/brokers.js";
import { prng, toNdjson, type TestTransaction } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";
import { expectSameStore, liveMessages, liveWorkspace } from "../fixtures/brokers/live-project.js";

const SEED = 16_016;

describe("agg ingest --follow from a Redis stream", () => {
  const dir = liveWorkspace();
  let redis: RedisServer;
  let client: RedisClient;
  let streamNo = 0;

  beforeAll(async () => {
    redis = await startRedis(tempDir("agg-redis-"), { persist: true });
    client = await redisClient(redis.url);
  });
  afterAll(async () => {
    client?.destroy();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh stream per test (the resolver's stream name comes from the environment). */
  const setup = (messages: readonly TestTransaction[]) => {
    const stream = `payments-${++streamNo}`;
    const file = join(dir, `${stream}.ndjson`);
    writeFileSync(file, toNdjson(messages));
    const env = { AGG_SOURCE_LIVE_URL: redis.url, AGG_SOURCE_LIVE_STREAM: stream, AGG_SOURCE_LIVE_CLAIM_IDLE_MS: "1000" };
    const follow = (store: string, extra: Record<string, string> = {}, batch = 2000) =>
      startAgg(["ingest", "--project", "features", "--store", store, "--source", "live", "--follow", "--batch-size", String(batch)], { cwd: dir, env: { ...env, ...extra } });
    return { stream, file, env, follow };
  };

  /** The clean run: a file ingest of the same messages. */
  const fileIngest = async (file: string, store: string): Promise<StoreSnapshot> => {
    const run = await runAggAsync(["ingest", "--project", "features", "--store", store, "--source", "live", "--file", file], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    return readStore(store);
  };

  /** Until the group has delivered and acknowledged everything and the store holds every row. */
  const drained = async (stream: string, stores: readonly string[], rows: number, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const state = await groupState(client, stream, "agg").catch(() => null);
      if (state !== null && state.pending === 0 && state.lag === 0 && countRows(stores[0]!) === rows) return;
      if (Date.now() > until) throw new Error(`not drained after ${timeoutMs} ms: ${JSON.stringify(state)}, ${countRows(stores[0]!)} of ${rows} rows`);
      await sleep(100);
    }
  };

  const stopped = (child: ReturnType<typeof startAgg>) => {
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.resume();
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
    return { exit, stderr: () => stderr };
  };

  it("100,000 messages with re-sends and late events end as a file ingest of them does", { timeout: 240_000 }, async () => {
    const messages = liveMessages(100_000, SEED);
    const { stream, file, follow } = setup(messages);
    const distinct = new Map(messages.map((m) => [m.id, m]));
    const store = join(dir, "follow-100k.db");
    await produce(client, stream, messages.slice(0, 1000));
    const consumer = follow(store, {}, 10_000);
    const run = stopped(consumer);
    await produce(client, stream, messages.slice(1000));
    await drained(stream, [store], distinct.size, 180_000);
    consumer.kill("SIGTERM");
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/stopped by SIGTERM: 100,000 messages read and committed; every committed message was acknowledged/);
    expect(run.stderr()).toMatch(/committed [\d,]+ messages: [\d,]+ messages \([\d,]+\/s\), lag /);
    const clean = await fileIngest(file, join(dir, "file-100k.db"));
    const followed = readStore(store);
    expectSameStore(followed, clean, "follow vs file");
    // Independent of agg: one row per id, and the user sums' buckets add up to every amount once.
    expect(followed.rows.length).toBe(distinct.size);
    const userSum = followed.series.find((s) => s.keys.join() === "user_id" && s.filter === "")!;
    const bucketed = followed.buckets.filter((b) => b.series === userSum.id && b.bucketMs === 86_400_000).reduce((sum, b) => sum + (b.values.sum as number), 0);
    const expected = [...distinct.values()].reduce((sum, m) => sum + m.amount, 0);
    expect(bucketed).toBeCloseTo(expected, 6);
  });

  it("killed with SIGKILL at 10 seeded points while the producer runs, restarted each time: the same store as a clean run", { timeout: 180_000 }, async () => {
    const messages = liveMessages(20_000, SEED + 1);
    const { stream, file, follow } = setup(messages);
    const rows = new Set(messages.map((m) => m.id)).size;
    const store = join(dir, "follow-kill.db");
    const random = prng(SEED + 2);
    await produce(client, stream, messages.slice(0, 100));
    // A stable consumer name: each restart first reads the entries the killed run left pending.
    const extra = { AGG_SOURCE_LIVE_CONSUMER: "kill-test" };
    const producing = (async () => {
      for (let i = 100; i < messages.length; i += 100) {
        await produce(client, stream, messages.slice(i, i + 100), 100);
        await sleep(95);
      }
    })();
    const kills: number[] = [];
    for (let k = 0; k < 10; k++) {
      const consumer = follow(store, extra, 200 + Math.floor(random() * 3000));
      const run = stopped(consumer);
      // A run starts in about a second and commits its first batch within another.
      await sleep(1200 + Math.floor(random() * 1500));
      consumer.kill("SIGKILL");
      const { signal } = await run.exit;
      expect(signal, run.stderr()).toBe("SIGKILL");
      kills.push(countRows(store));
    }
    await producing;
    const last = follow(store, extra);
    const run = stopped(last);
    await drained(stream, [store], rows);
    last.kill("SIGTERM");
    expect((await run.exit).code, run.stderr()).toBe(0);
    expectSameStore(readStore(store), await fileIngest(file, join(dir, "file-kill.db")), "after 10 kills");
    // Guards the test: the kills landed while rows were still coming in.
    expect(kills.filter((n) => n > 0 && n < rows).length, JSON.stringify(kills)).toBeGreaterThanOrEqual(8);
  });

  it("two consumers in one group share the stream; one killed midway, the other takes over its entries", { timeout: 120_000 }, async () => {
    const messages = liveMessages(20_000, SEED + 3);
    const { stream, file, follow } = setup(messages);
    const rows = new Set(messages.map((m) => m.id)).size;
    const store = join(dir, "follow-two.db");
    await produce(client, stream, messages.slice(0, 100));
    const a = follow(store, {}, 500);
    const b = follow(store, {}, 500);
    const runA = stopped(a);
    const runB = stopped(b);
    const producing = (async () => {
      for (let i = 100; i < messages.length; i += 500) {
        await produce(client, stream, messages.slice(i, i + 500), 500);
        await sleep(20);
      }
    })();
    while (countRows(store) < rows / 3) await sleep(20);
    a.kill("SIGKILL");
    expect((await runA.exit).signal).toBe("SIGKILL");
    await producing;
    await drained(stream, [store], rows);
    b.kill("SIGTERM");
    expect((await runB.exit).code, runB.stderr()).toBe(0);
    expect(runB.stderr()).toMatch(/took over \d+ entr(y|ies) another consumer of group "agg" left unacknowledged/);
    expectSameStore(readStore(store), await fileIngest(file, join(dir, "file-two.db")), "two consumers");
  });

  it("redis restarting mid-run: the consumer retries, says so, and loses nothing", { timeout: 120_000 }, async () => {
    const messages = liveMessages(10_000, SEED + 4);
    const { stream, file, follow } = setup(messages);
    const rows = new Set(messages.map((m) => m.id)).size;
    const store = join(dir, "follow-restart.db");
    await produce(client, stream, messages.slice(0, 5000));
    const consumer = follow(store, {}, 500);
    const run = stopped(consumer);
    while (countRows(store) < 1000) await sleep(10);
    client.destroy();
    await redis.restart(1500);
    client = await redisClient(redis.url);
    await produce(client, stream, messages.slice(5000));
    await drained(stream, [store], rows);
    consumer.kill("SIGTERM");
    expect((await run.exit).code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/broker: redis stream "payments-\d+" .*retrying in/);
    expect(run.stderr()).toMatch(/broker: reconnected to redis stream/);
    expectSameStore(readStore(store), await fileIngest(file, join(dir, "file-restart.db")), "after a redis restart");
  });
});
