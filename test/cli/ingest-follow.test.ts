/**
 * `agg ingest --follow` at the edges, on a real redis-server: usage and connection errors
 * (what, where, what to do; exit codes of SPEC 6), bad messages under --on-error skip and
 * fail (acknowledged only once written to the dead letter, or left pending), the
 * password warning of `agg check`, and the Kafka recipe of the README (kcat's output on stdin).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { BIN, startAgg, tempDir } from "../helpers/cli.js";
import { freePort, groupState, produce, redisClient, startRedis, type RedisClient, type RedisServer } from "../helpers/brokers.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows } from "../fixtures/ingest/store-snapshot.js";
import { liveWorkspace } from "../fixtures/brokers/live-project.js";

const txn = (id: string) => ({ id, user_id: "u1", merchant_id: "m1", amount: 2.5, category: "food", ts: "2024-03-01T10:00:00Z" });

describe("agg ingest --follow: errors, bad messages, check, stdin", () => {
  /** How many times the group delivered the stream's one pending entry (XPENDING's count). */
  const deliveryCount = async (stream: string): Promise<number> => {
    const pending = (await client.sendCommand(["XPENDING", stream, "agg", "-", "+", "10"])) as unknown[][];
    return pending.length === 0 ? 0 : Number(pending[0]![3]);
  };
  const dir = liveWorkspace("agg-follow-cli-");
  let redis: RedisServer;
  let client: RedisClient;
  beforeAll(async () => {
    redis = await startRedis(tempDir("agg-redis-"));
    client = await redisClient(redis.url);
  });
  afterAll(async () => {
    client?.destroy();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (stream: string) => ({ AGG_SOURCE_LIVE_URL: redis.url, AGG_SOURCE_LIVE_STREAM: stream });
  const args = (store: string, ...more: string[]) => ["ingest", "--project", "features", "--store", join(dir, store), "--source", "live", "--follow", ...more];

  it("--follow on a source that reads files is a usage error (exit 2)", async () => {
    const run = await runAggAsync(["ingest", "--project", "features", "--source", "transactions", "--follow"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: source "transactions" \(features\/streams\.ts:\d+\) reads a file or stdin; --follow needs a broker source\nhint: declare source: redisStream/);
  });

  it("a redis that does not answer is an error naming the URL (exit 1)", async () => {
    const port = await freePort();
    const run = await runAggAsync(args("no-redis.db"), { cwd: dir, env: { ...env("payments"), AGG_SOURCE_LIVE_URL: `redis://127.0.0.1:${port}` } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: cannot connect to redis at redis://127.0.0.1:${port} (source "live"): connect ECONNREFUSED 127.0.0.1:${port}\nhint: check that redis-server runs there, and the url in features/live.ts:`);
    expect(run.stderr).toContain("(or AGG_SOURCE_LIVE_URL)");
  });

  it("a stream that does not exist is an error naming it (exit 1)", async () => {
    const run = await runAggAsync(args("no-stream.db"), { cwd: dir, env: env("no-such-stream") });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: redis stream "no-such-stream" does not exist at ${redis.url} (source "live")\nhint: check stream in features/live.ts:`);
    expect(run.stderr).toContain("redis-cli XGROUP CREATE no-such-stream agg 0 MKSTREAM");
  });

  it("--on-error skip: bad entries go to the dead letter with their ids, and every entry is acknowledged", async () => {
    const stream = "skip-stream";
    await produce(client, stream, [txn("s1")]);
    await client.sendCommand(["XADD", stream, "*", "data", "{not json"]);
    const noField = String(await client.sendCommand(["XADD", stream, "*", "payload", "{}"]));
    await produce(client, stream, [{ ...txn("s2"), amount: "ten" }, txn("s3")]);
    const child = startAgg(args("skip.db", "--on-error", "skip", "--dead-letter", "dead.ndjson"), { cwd: dir, env: env(stream) });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.once("close", resolve));
    for (let i = 0; i < 200 && countRows(join(dir, "skip.db")) < 2; i++) await sleep(50);
    for (let i = 0; i < 100 && (await groupState(client, stream, "agg"))?.pending !== 0; i++) await sleep(50);
    child.kill("SIGTERM");
    expect(await exit, stderr).toBe(0);
    expect(countRows(join(dir, "skip.db"))).toBe(2);
    expect(await groupState(client, stream, "agg")).toEqual({ pending: 0, lag: 0 });
    const dead = readFileSync(join(dir, "dead.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { source: string; id: string; reason: string; message: string });
    expect(dead.map((d) => d.source)).toEqual(["live", "live", "live"]);
    expect(dead[0]!.reason).toMatch(/^malformed JSON/);
    expect(dead[1]).toMatchObject({ id: noField, reason: `entry ${noField} has no field "data" (its fields: payload); the message's JSON goes in that field` });
    expect(dead[2]!.message).toContain('"amount":"ten"');
    expect(stderr).toMatch(/skipped message \d+-\d+: malformed JSON/);
    expect(stderr).toContain("warning: 3 messages rejected (written to dead.ndjson)");
  });

  it("--on-error fail: stops at the bad entry (exit 3), naming it; it stays pending for the next run", async () => {
    const stream = "fail-stream";
    await produce(client, stream, [txn("f1"), txn("f2")]);
    const bad = String(await client.sendCommand(["XADD", stream, "*", "data", "[1,2"]));
    await produce(client, stream, [txn("f3")]);
    const run = await runAggAsync(args("fail.db"), { cwd: dir, env: env(stream) });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`error: message ${bad} of redis stream "fail-stream" (group "agg", consumer "`);
    expect(run.stderr).toContain("hint: the messages before it were committed and acknowledged; it stays unacknowledged and is delivered again on the next run");
    expect(countRows(join(dir, "fail.db"))).toBe(2);
    // f1 and f2 acknowledged; the bad entry (and f3, read behind it) still pending.
    expect((await groupState(client, stream, "agg"))?.pending).toBe(2);
  });

  it("a poison entry (delivered again and again, never committed: it kills the consumer) is rejected after AGG_MAX_DELIVERIES, so it cannot block the stream", async () => {
    const stream = "poison-stream";
    await produce(client, stream, [txn("p1")]);
    const poisonEnv = { ...env(stream), AGG_SOURCE_LIVE_CONSUMER: "c1", AGG_MAX_DELIVERIES: "3" };
    // Three deliveries that die before their batch commits (a batch commits 1 s after its first message).
    for (let run = 0; run < 3; run++) {
      const child = startAgg(args("poison.db"), { cwd: dir, env: poisonEnv });
      const exit = new Promise((resolve) => child.once("close", resolve));
      let delivered = false;
      for (let i = 0; i < 1000 && !delivered; i++) {
        const consumers = (await client.sendCommand(["XINFO", "CONSUMERS", stream, "agg"]).catch(() => [])) as unknown[][];
        delivered = consumers.some((c) => c.includes("c1") && Number(c[c.indexOf("pending") + 1]) === 1) && (await deliveryCount(stream)) === run + 1;
        if (!delivered) await sleep(10);
      }
      child.kill("SIGKILL");
      await exit;
      expect(delivered, `delivery ${run + 1}`).toBe(true);
    }
    expect(countRows(join(dir, "poison.db"))).toBe(0);
    // The fourth delivery is over the limit: rejected (to the dead letter, with skip) and acknowledged.
    const child = startAgg(args("poison.db", "--on-error", "skip", "--dead-letter", "poison.ndjson"), { cwd: dir, env: poisonEnv });
    const exit = new Promise<number | null>((resolve) => child.once("close", resolve));
    for (let i = 0; i < 200 && (await groupState(client, stream, "agg"))?.pending !== 0; i++) await sleep(50);
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(await groupState(client, stream, "agg")).toEqual({ pending: 0, lag: 0 });
    expect(countRows(join(dir, "poison.db"))).toBe(0);
    const dead = readFileSync(join(dir, "poison.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reason: string; message: string });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toMatch(/^entry \d+-\d+ was delivered 4 times and never committed/);
    expect(JSON.parse(dead[0]!.message)).toEqual(txn("p1"));
  });

  it("agg check warns about a password in a redisStream url", async () => {
    const ws = liveWorkspace("agg-follow-check-");
    const file = join(ws, "features", "live.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('name: "live", ', 'name: "live", url: "redis://:hunter2@127.0.0.1:6379", '));
    const run = await runAggAsync(["check", "--project", "features"], { cwd: ws });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning features\/live\.ts:\d+: redisStream\("live"\) has a password in its url\n {2}hint: remove it from the file and set AGG_SOURCE_LIVE_URL=redis:\/\/:PASSWORD@host:port in the environment instead/);
    expect(run.stderr).not.toContain("hunter2");
    rmSync(ws, { recursive: true, force: true });
  });

  it("Kafka through kcat: the README's pipe, kcat -C ... -e -q | agg ingest, with kcat's output (one message value per line) on stdin", () => {
    // kcat -C -b BROKER -t payments -o beginning -e -q prints each message's value on its own line.
    const kcatOutput = [txn("k1"), txn("k2"), txn("k1")].map((m) => JSON.stringify(m)).join("\n");
    writeFileSync(join(dir, "kcat.out"), `${kcatOutput}\n`);
    const store = join(dir, "kafka.db");
    const run = spawnSync("sh", ["-c", `cat kcat.out | node "${BIN}" ingest --project features --store "${store}" --source transactions --json`], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", CI: "1" } });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ source: "transactions", messagesRead: 3, rowsInserted: 2, duplicates: 1 });
    expect(countRows(store)).toBe(2);
  });
});
