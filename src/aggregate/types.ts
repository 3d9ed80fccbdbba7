/**
 * The bucket state algebra. A (series, bucket size) stores ONE state per bucket that
 * serves every aggregation of that series at that size; a layout is compiled from the
 * list of aggregations and knows which components to keep (a `mean` and a `sum` share
 * one running sum).
 */
export type AggFn =
  | "sum"
  | "count"
  | "mean"
  | "min"
  | "max"
  | "std"
  | "variance"
  | "approxCountDistinct"
  | "approxPercentile"
  | "approxTopK"
  | "minByN"
  | "maxByN";

/** One aggregation as declared: `approxPercentile(0.95)` is `{ fn, q: 0.95 }`. */
export interface AggSpec {
  readonly fn: AggFn;
  /** approxPercentile: the quantile in [0, 1]. */
  readonly q?: number;
  /** approxTopK: how many items. */
  readonly k?: number;
  /** minByN / maxByN: how many rows. */
  readonly n?: number;
  /** minByN / maxByN: the feature name (not FQN) of the aggregated namespace to order by. */
  readonly by?: string;
}

/** A row value after resolving: numbers, strings, booleans, epoch-ms datetimes, or null. */
export type Scalar = number | string | boolean | null;

/** A resolved row of the aggregated namespace, keyed by feature name (not FQN). */
export type Row = Readonly<Record<string, Scalar>>;

/** Opaque mutable bucket state; only its layout knows its shape. */
export type BucketState = { readonly __bucketState: unique symbol } | object;

export interface StateLayout {
  /** The aggregations this layout serves, in the order given to `compileLayout`. */
  readonly specs: readonly AggSpec[];
  /** A fresh state holding no rows. */
  empty(): BucketState;
  /** Folds one row in. `value` is the aggregated feature's value (null when absent). */
  add(state: BucketState, value: Scalar, row: Row): void;
  /** Folds `other` into `into` (both from this layout). Never reads raw rows. */
  merge(into: BucketState, other: BucketState): void;
  /** `merge(into, decode(bytes.subarray(from, to)))`, without building the decoded state where it can. */
  mergeEncoded(into: BucketState, bytes: Uint8Array, from: number, to: number): void;
  /** Rows folded in (after filters, nulls included). */
  rows(state: BucketState): number;
  /** The value of one aggregation on this state; the SPEC 1.2 "value on no rows" when empty. */
  finish(state: BucketState, spec: AggSpec): unknown;
  /** Compact bytes for the store; `decode(encode(s))` finishes identically to `s`. */
  encode(state: BucketState): Uint8Array;
  decode(bytes: Uint8Array): BucketState;
}
