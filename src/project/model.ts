import type { AggSpec } from "../aggregate/types.js";
import type { FilterNode } from "../dsl/filter.js";
import type { OfflineSourceSpec } from "../dsl/offline-source.js";
import type { ScalarSpec } from "../dsl/scalar.js";
import type { Site } from "../dsl/site.js";
import type { StreamSpec } from "../dsl/stream.js";
import type { BucketCalendar } from "../time/bucket-grid.js";
import type { Schedule } from "../time/schedule.js";

/** A validated feature project: what every later stage works from. */
export interface Project {
  readonly root: string;
  readonly namespaces: ReadonlyMap<string, NamespaceModel>;
  /** Every windowed feature, in load order. */
  readonly windowed: readonly WindowedFeature[];
  /** Empty when the project came from the cache without its resolvers (see loadValidProject). */
  readonly streams: ReadonlyMap<string, StreamModel>;
  readonly offlineSources: ReadonlyMap<string, OfflineSourceModel>;
}

export interface ScalarModel extends ScalarSpec {
  readonly name: string;
}

export interface NamespaceModel {
  readonly name: string;
  readonly site: Site | null;
  /** Scalar features in declaration order. */
  readonly scalars: readonly ScalarModel[];
  readonly primaryKey: string | null;
  readonly featureTime: string | null;
}

export interface WindowedFeature {
  readonly namespace: string;
  readonly name: string;
  /** `user.txn_sum`: the root FQN. */
  readonly fqn: string;
  readonly kind: "windowed" | "groupByWindowed";
  /** Window lengths in ms, in declaration order. */
  readonly windows: readonly number[];
  readonly agg: AggSpec;
  /** The namespace aggregated over, e.g. `transaction`. */
  readonly source: string;
  /** The aggregated feature's name in `source`, or null for a bare row count. */
  readonly feature: string | null;
  readonly filter: FilterNode | null;
  /** The feature of `source` that references this namespace's primary key. */
  readonly joinKey: string;
  /** Group-by feature names in `source` (groupByWindowed only). */
  readonly groupBy: readonly string[];
  readonly materialization: MaterializationModel | null;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly site: Site | null;
}

export interface MaterializationModel {
  /** Window (ms) -> bucket size (ms). */
  readonly bucketFor: ReadonlyMap<number, number>;
  /** Bucket anchor, epoch ms (0 = the Unix epoch). */
  readonly anchor: number;
  /** `bucketTimeZone` and `weekStart`: whole-day sizes follow this zone's calendar; null: fixed-length buckets. */
  readonly calendar: BucketCalendar | null;
  readonly backfillSchedule: { readonly text: string; readonly schedule: Schedule } | null;
  readonly continuousBufferMs: number | null;
  /** `retention`: buckets are kept at least this long (beyond the largest window); null: the largest window. */
  readonly retentionMs: number | null;
}

export interface StreamModel extends StreamSpec {
  readonly file: string;
  /** Where the resolver is declared, `features/streams.ts:7`, for errors found while it runs. */
  readonly where: string;
}

export interface OfflineSourceModel extends OfflineSourceSpec {
  readonly file: string;
}
