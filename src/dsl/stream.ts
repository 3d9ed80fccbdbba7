import { BROKER_SOURCE, NAMESPACE, STREAM, hasBrand } from "./brand.js";
import type { BrokerSource, BrokerSourceSpec } from "./broker-sources.js";
import type { AnyNamespace, RowOf } from "./features.js";
import { callSite, type Site } from "./site.js";
import { unknownKeys } from "./unknown-keys.js";
import type { InferOutput, StandardSchemaV1 } from "./standard-schema.js";

export interface StreamOptions<S extends StandardSchemaV1, NS extends AnyNamespace> {
  /**
   * The name `agg ingest --source` uses (messages then come from a file or stdin), or a
   * declared broker, `redisStream({ ... })` or `pubSub({ ... })`, read by `agg ingest --follow`.
   */
  readonly source: string | BrokerSource;
  /** Turns a broker message's bytes into what `message` validates (default: the bytes as UTF-8 JSON). */
  readonly parse?: (bytes: Uint8Array) => unknown;
  /** Validates each message (a zod schema, or any Standard Schema). */
  readonly message: S;
  /** The namespace the rows belong to. */
  readonly output: NS;
  /** Turns a valid message into a row, or null to skip it. */
  readonly resolve: (message: InferOutput<S>) => RowOf<NS> | null;
  /** false: rows go to the row log only; buckets are left to backfill. Default true. */
  readonly updatesMaterializedAggregations?: boolean;
}

/** The options stream() takes. */
export const STREAM_KEYS: readonly string[] = ["source", "parse", "message", "output", "resolve", "updatesMaterializedAggregations"];

/** The plain data behind a stream resolver. */
export interface StreamSpec {
  /** The source's name: `source` itself, or the declared broker's `name`. */
  readonly source: string;
  /** The declared broker, when `source` was one; null for a name (file or stdin). */
  readonly broker: BrokerSourceSpec | null;
  readonly parse: ((bytes: Uint8Array) => unknown) | null;
  readonly message: StandardSchemaV1;
  readonly output: string;
  readonly resolve: (message: unknown) => Record<string, unknown> | null;
  readonly updatesMaterializedAggregations: boolean;
  /** Option keys the declaration passed that stream() does not know. */
  readonly unknownOptions: readonly string[];
  readonly site: Site | null;
}

export interface Stream {
  readonly [STREAM]: StreamSpec;
}

/**
 * A stream resolver: messages in, rows of `output` out.
 * @example
 * export const processTransactions = stream({
 *   source: "transactions",
 *   message: z.object({ id: z.string(), user_id: z.string(), amount: z.number(), ts: z.string() }),
 *   output: Transaction,
 *   resolve: (m) => ({ id: m.id, user_id: m.user_id, amount: m.amount, ts: m.ts }),
 * });
 */
export function stream<S extends StandardSchemaV1, NS extends AnyNamespace>(options: StreamOptions<S, NS>): Stream {
  const broker = hasBrand(options.source, BROKER_SOURCE) ? (options.source as BrokerSource)[BROKER_SOURCE] : null;
  const spec: StreamSpec = Object.freeze({
    source: broker === null ? (options.source as string) : (broker.name as string),
    broker,
    parse: options.parse ?? null,
    message: options.message,
    output: options.output?.[NAMESPACE]?.name,
    resolve: options.resolve as StreamSpec["resolve"],
    updatesMaterializedAggregations: options.updatesMaterializedAggregations ?? true,
    unknownOptions: unknownKeys(options, STREAM_KEYS),
    site: callSite(),
  });
  return Object.freeze({ [STREAM]: spec });
}
