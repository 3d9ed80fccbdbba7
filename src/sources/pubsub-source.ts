import { setTimeout as sleep } from "node:timers/promises";
import type { Message, PubSub, Subscription } from "@google-cloud/pubsub";
import { AggError } from "../errors.js";
import type { InputMessage } from "../ingest/input-message.js";
import { AsyncQueue } from "./async-queue.js";
import { decodeMessage } from "./decode-message.js";
import type { CloseResult, MessageSource, SourceContext, SourceLag } from "./message-source.js";
import { envPrefix, type PubSubSettings } from "./source-settings.js";

/** How long the subscription check at the start may take before the service counts as unreachable. */
const CHECK_TIMEOUT_MS = 10_000;
/** Messages held unacknowledged at most (flow control): the open batch plus a read-ahead. */
const MAX_OUTSTANDING = 20_000;

/**
 * A Google Cloud Pub/Sub subscription (streaming pull, @google-cloud/pubsub). A message is
 * acknowledged only when the ingest says its transaction committed; until then the
 * client library's lease manager extends its ack deadline (up to an hour), so an open
 * batch is not redelivered. Messages read ahead but not committed at a stop are nacked by
 * the library's close (delivered again at once); after a crash they come back once their
 * deadline passes. Each extension is at most MAX_ACK_DEADLINE_S: the library would otherwise
 * extend by the 99th percentile of its ack times (up to 10 minutes), and a crashed
 * consumer's messages would wait that long to be delivered to another. Pub/Sub does not order messages (without ordering keys).
 */
/** The longest one lease extension asks for, in seconds: how long a crashed consumer's messages wait, at most. */
const MAX_ACK_DEADLINE_S = 20;

export async function openPubSubSource(settings: PubSubSettings, ctx: SourceContext, where: string): Promise<MessageSource> {
  const prefix = envPrefix(settings.name);
  // The emulator needs no credentials: do not probe the cloud metadata server for them.
  if (settings.emulatorHost !== null) process.env.METADATA_SERVER_DETECTION ??= "none";
  const { PubSub, Duration } = await import("@google-cloud/pubsub");
  const client = new PubSub({ projectId: settings.project });
  const service = settings.emulatorHost === null ? "Pub/Sub" : `the Pub/Sub emulator at ${settings.emulatorHost}`;
  const name = settings.subscription.includes("/") ? settings.subscription : `projects/${settings.project}/subscriptions/${settings.subscription}`;
  const description = `Pub/Sub subscription ${name}${settings.emulatorHost === null ? "" : ` (emulator at ${settings.emulatorHost})`}`;
  let exists: boolean;
  try {
    const check = client.subscription(name).exists();
    const timeout = sleep(CHECK_TIMEOUT_MS, "timeout" as const, { ref: false });
    const result = await Promise.race([check, timeout]);
    if (result === "timeout") throw new Error(`no answer in ${CHECK_TIMEOUT_MS / 1000}s`);
    exists = result[0];
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new AggError("runtime", `cannot reach ${service} for source "${settings.name}": ${reasonOf(error)}`, {
      hint: settings.emulatorHost === null ? "check the network and the credentials (GOOGLE_APPLICATION_CREDENTIALS), or set PUBSUB_EMULATOR_HOST for the emulator" : "check that the emulator runs there (PUBSUB_EMULATOR_HOST)",
    });
  }
  if (!exists) {
    await client.close().catch(() => undefined);
    throw new AggError("runtime", `${description} does not exist (source "${settings.name}")`, {
      hint: `check project and subscription in ${where} (or ${prefix}PROJECT, ${prefix}SUBSCRIPTION); create it with \`gcloud pubsub subscriptions create ${settings.subscription} --topic TOPIC\``,
    });
  }
  const outstanding = Math.min(MAX_OUTSTANDING, ctx.batchSize + 1000);
  const subscription = client.subscription(name, { flowControl: { maxMessages: outstanding, allowExcessMessages: false }, maxAckDeadline: Duration.from({ seconds: MAX_ACK_DEADLINE_S }), maxExtensionTime: Duration.from({ minutes: 60 }) });
  return new PubSubSource(client, subscription, description, ctx);
}

class PubSubSource implements MessageSource {
  readonly messages = new AsyncQueue<InputMessage>();
  private readonly delivered = new Map<number, Message>();
  private line = 0;
  private lastPublished: number | null = null;
  private closed = false;

  constructor(
    private readonly client: PubSub,
    private readonly subscription: Subscription,
    readonly description: string,
    private readonly ctx: SourceContext,
  ) {
    subscription.on("message", (message: Message) => this.deliver(message));
    subscription.on("error", (error: unknown) => {
      // The library retries what can be retried; what reaches here is final (the subscription was deleted, permissions).
      this.messages.fail(
        new AggError("runtime", `${description} failed: ${reasonOf(error)}`, {
          hint: "every committed message was acknowledged; fix the subscription and run the same command again (messages delivered again are duplicates)",
        }),
      );
    });
    subscription.on("debug", (info: { message?: string }) => {
      if (typeof info?.message === "string" && /retry|unavailable|reconnect/i.test(info.message)) ctx.notice(`${description}: ${info.message}`);
    });
  }

  acknowledge(line: number): void {
    for (const [n, message] of this.delivered) {
      if (n > line) break;
      message.ack();
      this.delivered.delete(n);
    }
  }

  idOf(line: number): string | undefined {
    return this.delivered.get(line)?.id;
  }

  lag(): SourceLag {
    return { seconds: this.lastPublished === null ? null : Math.max(0, (this.ctx.now() - this.lastPublished) / 1000), entries: null };
  }

  async close(): Promise<CloseResult> {
    if (this.closed) return { unacknowledged: 0 };
    this.closed = true;
    this.messages.end();
    // Sends the acks given so far and nacks the messages still held (delivered again at once).
    let unacknowledged = 0;
    try {
      await this.subscription.close();
    } catch {
      unacknowledged = -1;
    }
    await this.client.close().catch(() => undefined);
    return { unacknowledged };
  }

  private deliver(message: Message): void {
    if (this.closed) return;
    const line = ++this.line;
    this.delivered.set(line, message);
    this.lastPublished = message.publishTime.getTime();
    const attempts = message.deliveryAttempt ?? 0;
    if (attempts > this.ctx.maxDeliveries) {
      this.messages.push({ line, raw: message.data.toString("utf8"), error: `message ${message.id} was delivered ${attempts} times and never committed (it may crash or stall the consumer); AGG_MAX_DELIVERIES raises the limit` });
      return;
    }
    this.messages.push(decodeMessage(line, message.data, this.ctx.parse, this.ctx.maxRecordBytes));
  }
}

function reasonOf(error: unknown): string {
  const e = error as { details?: unknown; message?: unknown };
  if (typeof e?.details === "string" && e.details !== "") return e.details;
  return typeof e?.message === "string" ? e.message : String(error);
}
