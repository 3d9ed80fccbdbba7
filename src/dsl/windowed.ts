import { WINDOWED } from "./brand.js";
import type { AggExpr, AggNode, FeatureRef } from "./feature-ref.js";
import { callSite, type Site } from "./site.js";
import { unknownKeys } from "./unknown-keys.js";

/** A window: a duration like "7d" or "1h30m", or "all" / "infinity". */
export type Window = string;

/** How a windowed feature is kept in buckets (SPEC 1.2). */
export type Materialization =
  | true
  | {
      /** The bucket size for every window not listed in `bucketDurations`. @example "1d" */
      readonly bucketDuration?: string;
      /** Bucket size -> the windows that use it. @example `{ "10m": "1d", "3d": ["60d", "365d"] }` */
      readonly bucketDurations?: Readonly<Record<string, string | readonly string[]>>;
      /** An ISO datetime that anchors buckets instead of the Unix epoch. */
      readonly bucketStart?: string;
      /**
       * An IANA time zone: whole-day bucket sizes then follow its local calendar (a `1d`
       * bucket runs from local midnight to the next, 23 to 25 hours across daylight
       * saving). Sub-day sizes stay fixed-length. Not combined with `bucketStart`.
       * @example "America/New_York"
       */
      readonly bucketTimeZone?: string;
      /** The day weekly (7-day multiple) buckets start on, with `bucketTimeZone`. Default: "Monday". */
      readonly weekStart?: Weekday;
      /** When `agg aggregate schedule` backfills: a 5-field cron (UTC) or a duration. */
      readonly backfillSchedule?: string;
      /** How much recent time `agg query` reads from the row log on top of the buckets. */
      readonly continuousBufferDuration?: string;
      /**
       * How long buckets are kept, when longer than the largest window (the default): a
       * query at a past T then reads buckets instead of the row log. @example "90d"
       */
      readonly retention?: string;
    };

/** The options `materialization` takes (validation reports any other key). */
export const MATERIALIZATION_KEYS = ["bucketDuration", "bucketDurations", "bucketStart", "bucketTimeZone", "weekStart", "backfillSchedule", "continuousBufferDuration", "retention"] as const;

/** Days of the week, as `weekStart` takes them. */
export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** The options windowed() and groupByWindowed() take. */
export const WINDOWED_KEYS: readonly string[] = ["expression", "materialization", "default", "on"];
export const GROUP_BY_WINDOWED_KEYS: readonly string[] = [...WINDOWED_KEYS, "groupBy"];

export interface WindowedOptions<Out> {
  /** The aggregation, e.g. `Transaction.amount.sum()`. */
  readonly expression: AggExpr<Out>;
  /** Omit to compute from the row log at query time, unbucketed. */
  readonly materialization?: Materialization;
  /** Returned for a window that holds no data. */
  readonly default?: NonNullable<Out>;
  /** The join key, when the aggregated namespace references this one zero or several times. */
  readonly on?: FeatureRef<unknown>;
}

export interface GroupByWindowedOptions<Out> extends WindowedOptions<Out> {
  /** Group-by keys from the aggregated namespace. */
  readonly groupBy: readonly [FeatureRef<unknown>, ...FeatureRef<unknown>[]];
}

/** The plain data behind a windowed declaration. */
export interface WindowedSpec {
  readonly kind: "windowed" | "groupByWindowed";
  readonly windows: readonly string[];
  readonly expression: AggNode;
  readonly groupBy: readonly string[];
  readonly on: string | null;
  readonly materialization: Materialization | null;
  readonly hasDefault: boolean;
  readonly default: unknown;
  /** Option keys the declaration passed that windowed() does not know. */
  readonly unknownOptions: readonly string[];
  readonly site: Site | null;
}

/** A windowed feature declaration; `Out` is one window's value. */
export interface Windowed<Out> {
  readonly [WINDOWED]: WindowedSpec;
  readonly "~out"?: Out;
}

function declare<Out>(kind: WindowedSpec["kind"], args: readonly unknown[]): WindowedSpec {
  const options = args[args.length - 1] as Partial<GroupByWindowedOptions<Out>> | undefined;
  return Object.freeze({
    kind,
    windows: Object.freeze(args.slice(0, -1) as string[]),
    expression: options?.expression?.node as AggNode,
    groupBy: Object.freeze((options?.groupBy ?? []).map((ref) => ref.fqn)),
    on: options?.on?.fqn ?? null,
    materialization: options?.materialization ?? null,
    hasDefault: options !== undefined && "default" in options && options.default !== undefined,
    default: options?.default,
    unknownOptions: unknownKeys(options, kind === "groupByWindowed" ? GROUP_BY_WINDOWED_KEYS : WINDOWED_KEYS),
    site: callSite(),
  });
}

/**
 * An aggregate over one or more windows.
 * @example
 * txn_sum: windowed("1d", "7d", "30d", {
 *   expression: Transaction.amount.sum(),
 *   materialization: { bucketDuration: "1d" },
 *   default: 0,
 * })
 */
export function windowed<Out>(...args: [...windows: [Window, ...Window[]], options: WindowedOptions<Out>]): Windowed<Out> {
  return Object.freeze({ [WINDOWED]: declare<Out>("windowed", args) }) as Windowed<Out>;
}

/**
 * An aggregate per group-by key, per window: the value is an object from key to aggregate.
 * @example
 * txn_sum_by_merchant: groupByWindowed("30d", {
 *   expression: Transaction.amount.sum(),
 *   groupBy: [Transaction.merchant_id],
 *   materialization: { bucketDuration: "1d" },
 * })
 */
export function groupByWindowed<Out>(
  ...args: [...windows: [Window, ...Window[]], options: GroupByWindowedOptions<Out>]
): Windowed<Record<string, Out>> {
  return Object.freeze({ [WINDOWED]: declare<Out>("groupByWindowed", args) }) as Windowed<Record<string, Out>>;
}
