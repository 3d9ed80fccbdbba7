/**
 * `agg ingest --follow` on the Pub/Sub emulator (started here on loopback): the store
 * equals a file ingest of the same messages, through kill -9 of the consumer while the
 * producer publishes (a killed consumer's unacknowledged messages come back once their
 * ack deadline passes), and while a batch is open its messages are not redelivered (the
 * client library extends their deadlines).
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PubSub, type Topic } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgg } from "../helpers/cli.js";
import { startPubSubEmulator, type PubSubEmulator } from "../helpers/brokers.js";
import { prng, toNdjson, type TestTransaction } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore, type StoreSnapshot } from "../fixtures/ingest/store-snapshot.js";
import { expectSameStore, liveMessages, liveWorkspace } from "../fixtures/brokers/live-project.js";
import { openPubSubSource } from "../../src/sources/pubsub-source.js";
import type { InputMessage } from "../../src/ingest/input-message.js";

const SEED = 16_116;
const PROJECT = "test-project";

describe("agg ingest --follow from a Pub/Sub subscription (emulator)", () => {
  const dir = liveWorkspace();
  let emulator: PubSubEmulator;
  let pubsub: PubSub;
  let topicNo = 0;

  beforeAll(async () => {
    emulator = await startPubSubEmulator();
    process.env.PUBSUB_EMULATOR_HOST = emulator.host;
    process.env.METADATA_SERVER_DETECTION = "none";
    pubsub = new PubSub({ projectId: PROJECT });
  }, 120_000);
  afterAll(async () => {
    await pubsub?.close();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh topic and subscription per test; the resolver's subscription comes from the environment. */
  const setup = async (messages: readonly TestTransaction[]) => {
    const n = ++topicNo;
    const [topic] = await pubsub.createTopic(`payments-${n}`);
    await topic.createSubscription(`agg-payments-${n}`, { ackDeadlineSeconds: 10 });
    const file = join(dir, `payments-${n}.ndjson`);
    writeFileSync(file, toNdjson(messages));
    const env = { PUBSUB_EMULATOR_HOST: emulator.host, AGG_SOURCE_CLOUD_SUBSCRIPTION: `agg-payments-${n}` };
    const follow = (store: string, batch = 2000) => startAgg(["ingest", "--project", "features", "--store", store, "--source", "cloud", "--follow", "--batch-size", String(batch)], { cwd: dir, env });
    return { topic, subscription: `agg-payments-${n}`, file, env, follow };
  };

  const publish = async (topic: Topic, messages: readonly TestTransaction[]) => {
    await Promise.all(messages.map((m) => topic.publishMessage({ data: Buffer.from(JSON.stringify(m)) })));
  };

  const fileIngest = async (file: string, store: string): Promise<StoreSnapshot> => {
    const run = await runAggAsync(["ingest", "--project", "features", "--store", store, "--source", "cloud", "--file", file], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    return readStore(store);
  };

  const untilRows = async (store: string, rows: number, consumer: { child: ReturnType<typeof startAgg>; exit: Promise<unknown>; stderr: () => string }, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    while (countRows(store) < rows) {
      if (Date.now() > until) {
        consumer.child.kill("SIGTERM");
        await consumer.exit;
        throw new Error(`${countRows(store)} of ${rows} rows after ${timeoutMs} ms; the consumer said:\n${consumer.stderr().split("\n").slice(-8).join("\n")}`);
      }
      await sleep(100);
    }
  };

  const watched = (child: ReturnType<typeof startAgg>) => {
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.resume();
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
    return { child, exit, stderr: () => stderr };
  };

  it("20,000 messages with re-sends and late events end as a file ingest of them does", { timeout: 120_000 }, async () => {
    const messages = liveMessages(20_000, SEED);
    const { topic, file, follow } = await setup(messages);
    const rows = new Set(messages.map((m) => m.id)).size;
    const store = join(dir, "follow.db");
    const consumer = follow(store, 5000);
    const run = watched(consumer);
    await publish(topic, messages);
    await untilRows(store, rows, run);
    consumer.kill("SIGINT");
    expect((await run.exit).code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/stopped by SIGINT: [\d,]+ messages read and committed; every committed message was acknowledged/);
    expectSameStore(readStore(store), await fileIngest(file, join(dir, "file.db")), "follow vs file");
  });

  it("killed with SIGKILL at 10 seeded points while the producer publishes: the same store as a clean run", { timeout: 330_000 }, async () => {
    // Fewer messages than for Redis: the emulator hands the unacknowledged messages of dead
    // consumers out again slowly (a few thousand per 10 s ack deadline, fewer after many kills).
    const messages = liveMessages(4_000, SEED + 1);
    const { topic, file, follow } = await setup(messages);
    const rows = new Set(messages.map((m) => m.id)).size;
    const store = join(dir, "follow-kill.db");
    const random = prng(SEED + 2);
    const producing = (async () => {
      for (let i = 0; i < messages.length; i += 50) {
        await publish(topic, messages.slice(i, i + 50));
        await sleep(350);
      }
    })();
    const kills: number[] = [];
    for (let k = 0; k < 10; k++) {
      const consumer = follow(store, 100 + Math.floor(random() * 1000));
      const run = watched(consumer);
      // A run loads the Pub/Sub client and commits its first batch about two seconds after it starts.
      await sleep(2000 + Math.floor(random() * 2000));
      consumer.kill("SIGKILL");
      expect((await run.exit).signal, run.stderr()).toBe("SIGKILL");
      kills.push(countRows(store));
    }
    await producing;
    const last = follow(store);
    const run = watched(last);
    // The emulator hands a dead consumer's messages out again in dribbles (about 100 s for
    // the last few hundred here on a quiet machine, with 20 s lease extensions): be patient.
    await untilRows(store, rows, run, 270_000);
    last.kill("SIGTERM");
    expect((await run.exit).code, run.stderr()).toBe(0);
    expectSameStore(readStore(store), await fileIngest(file, join(dir, "file-kill.db")), "after 10 kills");
    expect(kills.filter((n) => n > 0 && n < rows).length, JSON.stringify(kills)).toBeGreaterThanOrEqual(8);
  });

  it("a missing subscription is an error naming it (exit 1)", async () => {
    const run = await runAggAsync(["ingest", "--project", "features", "--store", join(dir, "missing.db"), "--source", "cloud", "--follow"], {
      cwd: dir,
      env: { PUBSUB_EMULATOR_HOST: emulator.host, AGG_SOURCE_CLOUD_SUBSCRIPTION: "no-such-subscription" },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: Pub/Sub subscription projects/test-project/subscriptions/no-such-subscription (emulator at 127.0.0.1:');
    expect(run.stderr).toContain("does not exist (source \"cloud\")");
    expect(run.stderr).toMatch(/hint: check project and subscription in features\/live\.ts:\d+ \(or AGG_SOURCE_CLOUD_PROJECT, AGG_SOURCE_CLOUD_SUBSCRIPTION\)/);
  });

  it("messages held longer than the ack deadline (10 s) are not redelivered while unacknowledged, nor after their acknowledgement", { timeout: 60_000 }, async () => {
    const messages = liveMessages(3, SEED + 3);
    const { topic, subscription } = await setup(messages);
    const ctx = { now: Date.now, notice: () => undefined, batchSize: 100, maxRecordBytes: 1 << 20, parse: null, outageLimitMs: 60_000, maxDeliveries: 10 };
    const source = await openPubSubSource({ kind: "pubsub", name: "cloud", project: PROJECT, subscription, emulatorHost: emulator.host }, ctx, "test");
    await publish(topic, messages);
    const iterator = source.messages[Symbol.asyncIterator]();
    const read: InputMessage[] = [];
    for (let i = 0; i < 3; i++) read.push((await iterator.next()).value as InputMessage);
    expect(read.map((m) => ("value" in m ? (m.value as TestTransaction).id : m.error)).sort()).toEqual(messages.map((m) => m.id).sort());
    // Past the deadline: without the lease manager's extensions these three would come again.
    const again = Promise.race([iterator.next().then(() => "redelivered"), sleep(13_000, "held")]);
    expect(await again).toBe("held");
    source.acknowledge(3);
    await source.close();
    const second = await openPubSubSource({ kind: "pubsub", name: "cloud", project: PROJECT, subscription, emulatorHost: emulator.host }, ctx, "test");
    const later = second.messages[Symbol.asyncIterator]();
    expect(await Promise.race([later.next().then(() => "redelivered"), sleep(12_000, "none")])).toBe("none");
    await second.close();
  });
});
