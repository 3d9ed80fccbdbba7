import { BROKER_SOURCE } from "./brand.js";
import { callSite, type Site } from "./site.js";
import { unknownKeys } from "./unknown-keys.js";

export interface RedisStreamOptions {
  /** The name `agg ingest --source` uses. */
  readonly name: string;
  /** `redis://host:port[/db]` (or `rediss://`); env AGG_SOURCE_<NAME>_URL overrides it. Never write a password here. */
  readonly url?: string;
  /** The stream's key. */
  readonly stream: string;
  /** The consumer group; created at the start of the stream (or at its end with `startFrom: "$"`) when missing. */
  readonly group: string;
  /** The entry field that holds the message (default `data`). */
  readonly field?: string;
  /** Where a group that does not exist yet starts: `"0"` (default: every retained entry) or `"$"` (new entries only). */
  readonly startFrom?: "0" | "$";
  /** Milliseconds a pending entry of another consumer stays unacknowledged before this one claims it (default 30,000). */
  readonly claimIdleMs?: number;
}

export interface PubSubOptions {
  /** The name `agg ingest --source` uses. */
  readonly name: string;
  /** The Google Cloud project id; env AGG_SOURCE_<NAME>_PROJECT overrides it. */
  readonly project: string;
  /** The subscription's id (or its full `projects/P/subscriptions/S` name); env AGG_SOURCE_<NAME>_SUBSCRIPTION overrides it. */
  readonly subscription: string;
}

export const REDIS_STREAM_KEYS: readonly string[] = ["name", "url", "stream", "group", "field", "startFrom", "claimIdleMs"];
export const PUBSUB_KEYS: readonly string[] = ["name", "project", "subscription"];

/** The plain data behind a declared broker source (what the DSL call was given, unchecked). */
export type BrokerSourceSpec =
  | ({ readonly kind: "redis" } & Readonly<Record<keyof RedisStreamOptions, unknown>> & BrokerCommon)
  | ({ readonly kind: "pubsub" } & Readonly<Record<keyof PubSubOptions, unknown>> & BrokerCommon);

interface BrokerCommon {
  readonly unknownOptions: readonly string[];
  readonly site: Site | null;
}

/** A broker a stream resolver reads with `agg ingest --follow`. */
export interface BrokerSource {
  readonly [BROKER_SOURCE]: BrokerSourceSpec;
}

/**
 * A Redis stream read through a consumer group: pass it as a stream resolver's `source`.
 * Each entry's `data` field holds the message as JSON.
 * @example
 * export const processTransactions = stream({
 *   source: redisStream({ name: "transactions", url: "redis://127.0.0.1:6379", stream: "payments", group: "agg" }),
 *   message: z.object({ id: z.string(), user_id: z.string(), amount: z.number(), ts: z.string() }),
 *   output: Transaction,
 *   resolve: (m) => m,
 * });
 */
export function redisStream(options: RedisStreamOptions): BrokerSource {
  const spec = Object.freeze({
    kind: "redis" as const,
    name: options.name,
    url: options.url,
    stream: options.stream,
    group: options.group,
    field: options.field,
    startFrom: options.startFrom,
    claimIdleMs: options.claimIdleMs,
    unknownOptions: unknownKeys(options, REDIS_STREAM_KEYS),
    site: callSite(),
  });
  return Object.freeze({ [BROKER_SOURCE]: spec });
}

/**
 * A Google Cloud Pub/Sub subscription: pass it as a stream resolver's `source`. Each
 * message's data is the message as JSON. Credentials come from the environment
 * (GOOGLE_APPLICATION_CREDENTIALS, or PUBSUB_EMULATOR_HOST for the emulator).
 * @example
 * export const processTransactions = stream({
 *   source: pubSub({ name: "transactions", project: "my-project", subscription: "agg-transactions" }),
 *   message: z.object({ id: z.string(), user_id: z.string(), amount: z.number(), ts: z.string() }),
 *   output: Transaction,
 *   resolve: (m) => m,
 * });
 */
export function pubSub(options: PubSubOptions): BrokerSource {
  const spec = Object.freeze({
    kind: "pubsub" as const,
    name: options.name,
    project: options.project,
    subscription: options.subscription,
    unknownOptions: unknownKeys(options, PUBSUB_KEYS),
    site: callSite(),
  });
  return Object.freeze({ [BROKER_SOURCE]: spec });
}
