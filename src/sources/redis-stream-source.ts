import { setTimeout as sleep } from "node:timers/promises";
import { createClient, RESP_TYPES } from "@redis/client";
import { AggError } from "../errors.js";
import type { InputMessage } from "../ingest/input-message.js";
import { AsyncQueue } from "./async-queue.js";
import { decodeMessage } from "./decode-message.js";
import type { CloseResult, MessageSource, SourceContext, SourceLag } from "./message-source.js";
import { displayUrl, envPrefix, type RedisSettings } from "./source-settings.js";

type Reply = Buffer | string | number | null | Reply[];
type Connection = { send: (args: string[]) => Promise<Reply>; close: () => void };

/** Entries asked for per XREADGROUP / XAUTOCLAIM: the read-ahead beside the open batch. */
const READ_COUNT = 1000;
/** How long one XREADGROUP waits for new entries: also how late an acknowledgement may go out. */
const BLOCK_MS = 500;
const MAX_BACKOFF_MS = 5000;

/**
 * A Redis stream read through a consumer group (XREADGROUP). Entries are acknowledged
 * (XACK) only when the ingest says their transaction committed. Entries another consumer
 * left pending longer than `claimIdleMs` (it died, or was killed) are taken over with
 * XAUTOCLAIM; this consumer's own unacknowledged entries are kept fresh with XCLAIM so
 * that no other consumer takes them while their batch is open. One connection, one loop:
 * acknowledgements, claims and reads take turns, so nothing needs a lock.
 */
export async function openRedisSource(settings: RedisSettings, ctx: SourceContext, where: string): Promise<MessageSource> {
  const prefix = envPrefix(settings.name);
  if (!(Number.isInteger(settings.claimIdleMs) && settings.claimIdleMs >= 100)) {
    throw new AggError("usage", `${prefix}CLAIM_IDLE_MS must be a whole number of milliseconds, at least 100`, { hint: "unset it to use the declaration's claimIdleMs (default 30000)" });
  }
  const source = new RedisSource(settings, ctx);
  const connection = await connect(settings).catch((error: unknown) => {
    throw new AggError("runtime", `cannot connect to redis at ${displayUrl(settings.url)} (source "${settings.name}"): ${reasonOf(error)}`, {
      hint: authFailure(error)
        ? `put the password in the environment, ${prefix}URL=redis://:PASSWORD@host:port, never in ${where}`
        : `check that redis-server runs there, and the url in ${where} (or ${prefix}URL)`,
    });
  });
  try {
    await connection.send(["XGROUP", "CREATE", settings.stream, settings.group, settings.startFrom]);
  } catch (error) {
    const text = reasonOf(error);
    if (!text.startsWith("BUSYGROUP")) {
      connection.close();
      if (text.includes("requires the key to exist")) {
        throw new AggError("runtime", `redis stream "${settings.stream}" does not exist at ${displayUrl(settings.url)} (source "${settings.name}")`, {
          hint: `check stream in ${where} (or ${prefix}STREAM); a producer's first XADD creates it, or create it empty: redis-cli XGROUP CREATE ${settings.stream} ${settings.group} 0 MKSTREAM`,
        });
      }
      throw new AggError("runtime", `cannot use redis stream "${settings.stream}" at ${displayUrl(settings.url)} (source "${settings.name}"): ${text}`, { hint: `check that the key "${settings.stream}" is a stream` });
    }
  }
  source.start(connection);
  return source;
}

class RedisSource implements MessageSource {
  readonly description: string;
  readonly messages = new AsyncQueue<InputMessage>();
  private connection: Connection | null = null;
  /** Delivered, not yet acknowledged: delivery number -> entry id, in delivery order. */
  private readonly delivered = new Map<number, string>();
  private ackDue: string[] = [];
  private line = 0;
  private stopping = false;
  private closing: Promise<CloseResult> | null = null;
  private wake = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private claimCursor = "0-0";
  private nextClaim = 0;
  private nextHeartbeat = 0;
  private nextLag = 0;
  private ownPending: boolean;
  private lastEntryMs: number | null = null;
  private entriesLag: number | null = null;

  constructor(
    private readonly settings: RedisSettings,
    private readonly ctx: SourceContext,
  ) {
    this.description = `redis stream "${settings.stream}" (group "${settings.group}", consumer "${settings.consumer}") at ${displayUrl(settings.url)}`;
    this.ownPending = settings.stableConsumer;
  }

  start(connection: Connection): void {
    this.connection = connection;
    this.loop = this.run();
  }

  acknowledge(line: number): void {
    for (const [n, id] of this.delivered) {
      if (n > line) break;
      this.ackDue.push(id);
      this.delivered.delete(n);
    }
  }

  idOf(line: number): string | undefined {
    return this.delivered.get(line);
  }

  lag(): SourceLag {
    return { seconds: this.lastEntryMs === null ? null : Math.max(0, (this.ctx.now() - this.lastEntryMs) / 1000), entries: this.entriesLag };
  }

  close(): Promise<CloseResult> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<CloseResult> {
    this.stopping = true;
    this.wake.abort();
    this.messages.end();
    await this.loop;
    // The acknowledgements still due: a few tries, then the entries are simply delivered again.
    for (let attempt = 0; attempt < 3 && this.ackDue.length > 0; attempt++) {
      try {
        this.connection ??= await connect(this.settings);
        await this.flushAcks(this.connection);
      } catch {
        this.drop();
        await sleep(300 * (attempt + 1));
      }
    }
    try {
      if (this.connection !== null) await this.forgetConsumerIfIdle(this.connection);
    } catch {
      // Only tidiness: a consumer without pending entries costs nothing.
    }
    this.drop();
    return { unacknowledged: this.ackDue.length };
  }

  private async run(): Promise<void> {
    let failingSince: number | null = null;
    let backoff = 200;
    while (!this.stopping) {
      try {
        this.connection ??= await connect(this.settings);
        if (failingSince !== null) {
          this.ctx.notice(`reconnected to ${this.description}`);
          failingSince = null;
          backoff = 200;
        }
        await this.tick(this.connection);
      } catch (error) {
        if (this.stopping) break;
        const fatal = fatalError(error, this.settings);
        if (fatal !== null) {
          this.messages.fail(fatal);
          break;
        }
        this.drop();
        failingSince ??= this.ctx.now();
        const down = this.ctx.now() - failingSince;
        if (down > this.ctx.outageLimitMs) {
          this.messages.fail(
            new AggError("runtime", `${this.description} stayed unreachable for ${Math.round(down / 1000)}s: ${reasonOf(error)}`, {
              hint: "every committed message was acknowledged or will be delivered again; start the same command once redis is back (AGG_BROKER_RETRY_MS waits longer)",
            }),
          );
          break;
        }
        this.ctx.notice(`${this.description}: ${reasonOf(error)}; retrying in ${(backoff / 1000).toFixed(1)}s (unacknowledged entries are delivered again: nothing is lost)`);
        await sleep(backoff, undefined, { signal: this.wake.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** One turn: acknowledgements, heartbeat, claims, lag, then one read. */
  private async tick(c: Connection): Promise<void> {
    await this.flushAcks(c);
    const now = this.ctx.now();
    const idle = this.settings.claimIdleMs;
    if (now >= this.nextHeartbeat) {
      await this.heartbeat(c);
      this.nextHeartbeat = now + Math.max(50, Math.floor(idle / 3));
    }
    if (this.ownPending) {
      await this.readOwnPending(c);
      this.ownPending = false;
    }
    if (now >= this.nextClaim && this.messages.size < READ_COUNT) {
      await this.claim(c);
      this.nextClaim = this.claimCursor === "0-0" ? now + Math.min(Math.max(50, Math.floor(idle / 2)), 5000) : now;
    }
    if (now >= this.nextLag) {
      await this.readLag(c);
      this.nextLag = now + 1000;
    }
    if (this.messages.size >= READ_COUNT) {
      await this.messages.below(READ_COUNT, BLOCK_MS);
      return;
    }
    const { stream, group, consumer } = this.settings;
    const reply = await c.send(["XREADGROUP", "GROUP", group, consumer, "COUNT", String(READ_COUNT), "BLOCK", String(BLOCK_MS), "STREAMS", stream, ">"]);
    if (this.stopping) return; // read after the stop: left pending, delivered again
    const entries = Array.isArray(reply) && Array.isArray(reply[0]) ? (reply[0][1] as Reply[]) : [];
    for (const entry of entries) this.deliver(entry as Reply[], 1);
  }

  private async flushAcks(c: Connection): Promise<void> {
    while (this.ackDue.length > 0) {
      const ids = this.ackDue.slice(0, 1000);
      await c.send(["XACK", this.settings.stream, this.settings.group, ...ids]);
      this.ackDue = this.ackDue.slice(ids.length);
    }
  }

  /** XCLAIM to itself, without a delivery: resets the idle time of entries whose batch is still open. */
  private async heartbeat(c: Connection): Promise<void> {
    const ids = [...this.delivered.values()];
    for (let i = 0; i < ids.length; i += 1000) {
      await c.send(["XCLAIM", this.settings.stream, this.settings.group, this.settings.consumer, "0", ...ids.slice(i, i + 1000), "JUSTID"]);
    }
  }

  /** Entries this consumer name left pending in an earlier run (only with a stable name). */
  private async readOwnPending(c: Connection): Promise<void> {
    const { stream, group, consumer } = this.settings;
    let start = "-";
    for (let round = 0; round < 1_000_000; round++) {
      const pending = (await c.send(["XPENDING", stream, group, start, "+", String(READ_COUNT), consumer])) as Reply[][];
      if (pending.length === 0) return;
      const ids = pending.map((p) => text(p[0]!));
      const claimed = (await c.send(["XCLAIM", stream, group, consumer, "0", ...ids])) as Reply[];
      const deliveries = new Map(pending.map((p) => [text(p[0]!), Number(p[3]) + 1]));
      for (const entry of claimed) if (Array.isArray(entry)) this.deliver(entry, deliveries.get(text(entry[0]!)) ?? 1);
      if (pending.length < READ_COUNT) return;
      start = `(${ids[ids.length - 1]!}`;
      await this.messages.below(READ_COUNT, 60_000);
      if (this.stopping) return;
    }
  }

  /** Entries of other consumers idle longer than claimIdleMs (a consumer that died): XAUTOCLAIM. */
  private async claim(c: Connection): Promise<void> {
    const { stream, group, consumer, claimIdleMs } = this.settings;
    const reply = (await c.send(["XAUTOCLAIM", stream, group, consumer, String(claimIdleMs), this.claimCursor, "COUNT", String(READ_COUNT)])) as Reply[];
    this.claimCursor = text(reply[0]!);
    const entries = ((reply[1] ?? []) as Reply[]).filter((e): e is Reply[] => Array.isArray(e));
    if (entries.length === 0) return;
    const first = text(entries[0]![0]!);
    const last = text(entries[entries.length - 1]![0]!);
    const pending = (await c.send(["XPENDING", stream, group, first, last, String(entries.length), consumer])) as Reply[][];
    const deliveries = new Map(pending.map((p) => [text(p[0]!), Number(p[3])]));
    if (!this.stopping) this.ctx.notice(`took over ${entries.length} entr${entries.length === 1 ? "y" : "ies"} another consumer of group "${group}" left unacknowledged for over ${claimIdleMs / 1000}s`);
    for (const entry of entries) this.deliver(entry, deliveries.get(text(entry[0]!)) ?? 2);
  }

  private async readLag(c: Connection): Promise<void> {
    const groups = (await c.send(["XINFO", "GROUPS", this.settings.stream])) as Reply[][];
    for (const g of groups) {
      const fields = new Map<string, Reply>();
      for (let i = 0; i + 1 < g.length; i += 2) fields.set(text(g[i]!), g[i + 1]!);
      if (text(fields.get("name") ?? "") !== this.settings.group) continue;
      const lag = fields.get("lag");
      this.entriesLag = typeof lag === "number" ? lag : null;
    }
  }

  /** One entry `[id, [field, value, ...]]` as the next message. */
  private deliver(entry: Reply[], deliveries: number): void {
    if (this.stopping) return;
    const id = text(entry[0]!);
    const line = ++this.line;
    this.delivered.set(line, id);
    this.lastEntryMs = Number(id.slice(0, id.indexOf("-")));
    const fields = Array.isArray(entry[1]) ? entry[1] : [];
    let value: Buffer | null = null;
    for (let i = 0; i + 1 < fields.length; i += 2) if (text(fields[i]!) === this.settings.field) value = asBuffer(fields[i + 1]!);
    if (value === null) {
      const names = fields.filter((_, i) => i % 2 === 0).map((f) => text(f));
      this.messages.push({ line, raw: JSON.stringify(Object.fromEntries(names.map((n, i) => [n, text(fields[i * 2 + 1]!)]))), error: `entry ${id} has no field "${this.settings.field}" (its fields: ${names.join(", ") || "none"}); the message's JSON goes in that field` });
      return;
    }
    if (deliveries > this.ctx.maxDeliveries) {
      this.messages.push({ line, raw: value.toString("utf8"), error: `entry ${id} was delivered ${deliveries} times and never committed (it may crash or stall the consumer); AGG_MAX_DELIVERIES raises the limit` });
      return;
    }
    this.messages.push(decodeMessage(line, value, this.ctx.parse, this.ctx.maxRecordBytes));
  }

  /** XGROUP DELCONSUMER at a clean stop, but only without pending entries (they would become unclaimable). */
  private async forgetConsumerIfIdle(c: Connection): Promise<void> {
    const { stream, group, consumer } = this.settings;
    const pending = (await c.send(["XPENDING", stream, group, "-", "+", "1", consumer])) as Reply[];
    if (pending.length === 0) await c.send(["XGROUP", "DELCONSUMER", stream, group, consumer]);
  }

  private drop(): void {
    this.connection?.close();
    this.connection = null;
  }
}

/** One connection without the client's own reconnecting: the loop above decides when to retry. */
async function connect(settings: RedisSettings): Promise<Connection> {
  const client = createClient({ RESP: 2, url: settings.url, disableOfflineQueue: true, socket: { connectTimeout: 5000, reconnectStrategy: false } });
  // Errors reach the command that was running; the event only must have a listener.
  client.on("error", () => undefined);
  await client.connect();
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  return {
    send: (args) => binary.sendCommand(args) as Promise<Reply>,
    close: () => {
      try {
        client.destroy();
      } catch {
        // already closed
      }
    },
  };
}

/** Errors retrying cannot fix: the group or stream is gone, the key is not a stream, the password is wrong. */
function fatalError(error: unknown, s: RedisSettings): AggError | null {
  const text = reasonOf(error);
  if (text.startsWith("NOGROUP")) {
    return new AggError("runtime", `the consumer group "${s.group}" of redis stream "${s.stream}" at ${displayUrl(s.url)} is gone (deleted, or redis restarted without persistence)`, {
      hint: "every committed entry was acknowledged; run the same command again to create the group (it starts at startFrom; entries read again are duplicates and change nothing)",
    });
  }
  if (text.startsWith("WRONGTYPE") || authFailure(error)) return new AggError("runtime", `redis at ${displayUrl(s.url)} refused source "${s.name}": ${text}`, { hint: "check the stream key and the credentials in the URL" });
  return null;
}

function authFailure(error: unknown): boolean {
  return /^(WRONGPASS|NOAUTH|NOPERM)|AUTH <password>/.test(reasonOf(error));
}

function reasonOf(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; errors?: unknown };
  if (Array.isArray(e?.errors) && e.errors.length > 0) return reasonOf(e.errors[0]);
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : typeof e?.code === "string" ? e.code : String(error);
  return message;
}

function text(reply: Reply): string {
  return Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);
}

function asBuffer(reply: Reply): Buffer {
  return Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply), "utf8");
}
