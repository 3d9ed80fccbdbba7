// The broker part of `npm run bench`: messages/s from a Redis stream and from the Pub/Sub
// emulator into the store with `agg ingest --follow`, beside file ingest. Each broker is
// started here on loopback; one that is not installed is skipped with a message.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, createReadStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve, dirname } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator";
const LIVE = `import { stream, redisStream, pubSub } from "agg";
import { z } from "zod";
import { Transaction } from "./transaction.js";
const message = z.object({ id: z.string(), user_id: z.string(), merchant_id: z.string(), amount: z.number(), category: z.string().nullable(), ts: z.string() });
export const live = stream({ source: redisStream({ name: "live", stream: "payments", group: "agg" }), message, output: Transaction, resolve: (m) => m });
export const cloud = stream({ source: pubSub({ name: "cloud", project: "bench-project", subscription: "agg-payments" }), message, output: Transaction, resolve: (m) => m });
`;

/** `{ redis, pubsub }`: each `{ messages, seconds, messagesPerSecond }` or `{ skipped }`. */
export async function brokerFigures({ work, file, messages, log }) {
  const dir = join(work, "brokers");
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, "features"), join(dir, "features"), { recursive: true });
  writeFileSync(join(dir, "features", "live.ts"), LIVE);
  const lines = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (lines.length >= messages) break;
    lines.push(line);
  }
  return { redis: await redisFigure(dir, lines, log), pubsub: await pubsubFigure(dir, lines, log) };
}

async function redisFigure(dir, lines, log) {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return skipped(log, "redis-server is not installed (apt-get install -y redis-server)");
  const { createClient } = await import("@redis/client");
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const client = createClient({ url, RESP: 2 });
  client.on("error", () => undefined);
  try {
    for (let i = 0; i < 100 && !client.isReady; i++) await client.connect().catch(() => sleep(50));
    for (let i = 0; i < lines.length; i += 1000) await Promise.all(lines.slice(i, i + 1000).map((l) => client.sendCommand(["XADD", "payments", "*", "data", l])));
    log(`  redis: ${lines.length.toLocaleString("en-US")} entries in the stream; consuming with --follow`);
    const store = join(dir, "redis.db");
    return await timeFollow(dir, ["--source", "live", "--store", store], { AGG_SOURCE_LIVE_URL: url }, store, lines.length);
  } finally {
    client.destroy();
    server.kill("SIGKILL");
  }
}

async function pubsubFigure(dir, lines, log) {
  if (!existsSync(EMULATOR)) return skipped(log, `the Pub/Sub emulator is not installed (${EMULATOR})`);
  const port = await freePort();
  const emulator = spawn(EMULATOR, ["--host=127.0.0.1", `--port=${port}`], { stdio: "ignore", detached: true });
  const host = `127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 300; i++) {
      if (await fetch(`http://${host}/`).then((r) => r.ok, () => false)) break;
      await sleep(100);
    }
    process.env.PUBSUB_EMULATOR_HOST = host;
    process.env.METADATA_SERVER_DETECTION = "none";
    const { PubSub } = await import("@google-cloud/pubsub");
    const pubsub = new PubSub({ projectId: "bench-project" });
    const [topic] = await pubsub.createTopic("payments");
    await topic.createSubscription("agg-payments", { ackDeadlineSeconds: 60 });
    for (let i = 0; i < lines.length; i += 1000) await Promise.all(lines.slice(i, i + 1000).map((l) => topic.publishMessage({ data: Buffer.from(l) })));
    await pubsub.close();
    log(`  pubsub: ${lines.length.toLocaleString("en-US")} messages published; consuming with --follow`);
    const store = join(dir, "pubsub.db");
    return await timeFollow(dir, ["--source", "cloud", "--store", store], { PUBSUB_EMULATOR_HOST: host }, store, lines.length);
  } finally {
    if (emulator.pid !== undefined) process.kill(-emulator.pid, "SIGKILL");
  }
}

/** From the process start until the store holds `rows` rows (the messages' ids are distinct), then SIGTERM. */
async function timeFollow(cwd, args, env, store, rows) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(repo, "bin", "agg.js"), "ingest", "--follow", ...args], { cwd, env: { ...process.env, NO_COLOR: "1", CI: "1", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exit = new Promise((r) => child.once("close", r));
  const deadline = Date.now() + 600_000;
  while (count(store) < rows) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`agg ingest --follow did not finish:\n${stderr}`);
    await sleep(50);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  child.kill("SIGTERM");
  await exit;
  return { messages: rows, seconds, messagesPerSecond: rows / seconds };
}

function count(store) {
  if (!existsSync(store)) return 0;
  try {
    const db = new Database(store, { readonly: true });
    try {
      return db.prepare("SELECT count(*) AS n FROM rows").get().n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

function skipped(log, why) {
  log(`  skipped: ${why}`);
  return { skipped: why };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
