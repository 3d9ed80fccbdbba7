/**
 * The public DSL: what feature files import as `"agg"`.
 * @example
 * import { features, string, float, datetime, windowed } from "agg";
 */
export { string, int, float, bool, datetime } from "./dsl/scalar.js";
export type { Scalar, ScalarKind, DateInput } from "./dsl/scalar.js";
export { features, rows } from "./dsl/features.js";
export type { Namespace, AnyNamespace, RowOf, WindowedRef, RowsRef } from "./dsl/features.js";
export type { FeatureRef, AggExpr } from "./dsl/feature-ref.js";
export { and, or } from "./dsl/filter.js";
export type { Condition } from "./dsl/filter.js";
export { windowed, groupByWindowed } from "./dsl/windowed.js";
export type { Windowed, WindowedOptions, GroupByWindowedOptions, Materialization, Window, Weekday } from "./dsl/windowed.js";
export { stream } from "./dsl/stream.js";
export type { Stream, StreamOptions } from "./dsl/stream.js";
export { redisStream, pubSub } from "./dsl/broker-sources.js";
export type { BrokerSource, RedisStreamOptions, PubSubOptions } from "./dsl/broker-sources.js";
export { offlineSource } from "./dsl/offline-source.js";
export type { OfflineSource, OfflineSourceOptions } from "./dsl/offline-source.js";
export type { StandardSchemaV1 } from "./dsl/standard-schema.js";
