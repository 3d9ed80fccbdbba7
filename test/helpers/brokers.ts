/**
 * Real brokers on loopback for the --follow tests: a redis-server and the Pub/Sub
 * emulator, each started by the test in a temp folder on a free port and stopped at the
 * end. A broker that is not installed fails the test (CI installs them), never skips it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@redis/client";

export const PUBSUB_EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator";

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, then start again on the same port and folder (with `persist`, the data survives). */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server on 127.0.0.1; `persist` keeps the data across restarts (append-only file, fsync always). */
export async function startRedis(dir: string, options: { persist?: boolean } = {}): Promise<RedisServer> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) throw new Error("redis-server is not installed: apt-get install -y redis-server (.ci/run does)");
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no", ...(options.persist === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"])];
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn("redis-server", args, { cwd: dir, stdio: "ignore" });
    for (let i = 0; i < 200; i++) {
      if (await ping(port)) return;
      await sleep(25);
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const kill = async () => {
    const c = child;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    c.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    restart: async (downMs = 1000) => {
      await kill();
      await sleep(downMs);
      await launch();
    },
    stop: kill,
  };
}

async function ping(port: number): Promise<boolean> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { connectTimeout: 500, reconnectStrategy: false } });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

function newClient(url: string) {
  return createClient({ url, RESP: 2 });
}

export type RedisClient = ReturnType<typeof newClient>;

export async function redisClient(url: string): Promise<RedisClient> {
  const client = newClient(url);
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** XADD each message (as JSON in field `data`), pipelined in chunks. */
export async function produce(client: RedisClient, stream: string, messages: readonly object[], chunk = 1000): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await Promise.all(messages.slice(i, i + chunk).map((m) => client.sendCommand(["XADD", stream, "*", "data", JSON.stringify(m)])));
  }
}

/** The group's pending count and lag (XINFO GROUPS). */
export async function groupState(client: RedisClient, stream: string, group: string): Promise<{ pending: number; lag: number | null } | null> {
  const groups = (await client.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
  for (const g of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) fields.set(String(g[i]), g[i + 1]);
    if (fields.get("name") === group) return { pending: Number(fields.get("pending")), lag: typeof fields.get("lag") === "number" ? (fields.get("lag") as number) : null };
  }
  return null;
}

export interface PubSubEmulator {
  readonly host: string;
  stop(): Promise<void>;
}

/** The Pub/Sub emulator (Java, about 1-3 s to start) on 127.0.0.1, in memory. */
export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  if (!existsSync(PUBSUB_EMULATOR)) throw new Error(`the Pub/Sub emulator is not installed at ${PUBSUB_EMULATOR} (the Google Cloud CLI's pubsub-emulator component)`);
  const port = await freePort();
  const child = spawn(PUBSUB_EMULATOR, [`--host=127.0.0.1`, `--port=${port}`], { stdio: "ignore", detached: true });
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGKILL");
    await exited;
  };
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      if (response.ok) return { host: `127.0.0.1:${port}`, stop };
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop();
  throw new Error(`the Pub/Sub emulator did not start on port ${port}`);
}
