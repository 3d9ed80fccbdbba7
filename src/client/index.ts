/**
 * The typed query API for Node programs: `import { openStore } from "agg/client"`.
 * @example
 * import { openStore } from "agg/client";
 * const store = await openStore({ project: "features" });
 * const { rows } = await store.query({ features: ["user.txn_sum"], ids: ["u1"] });
 * store.close();
 */
export { openStore } from "./open-store.js";
export type { OpenStoreOptions } from "./open-store.js";
export type { AggStore, StoreQuery, StoreQueryResult, StoreQueryRow } from "./agg-store.js";
export type { OfflineQuery, OfflineQueryOptions, OfflineQueryRow, SpineRow } from "./offline-rows.js";
export type { OfflineMode, OfflineProgress, OfflineSummary } from "../offline-query/run-offline-query.js";
export type { TalliedWarning } from "../offline-query/warning-tally.js";
export type { FeatureName, FeatureRoot, FeatureValue, KeysOf, NamespacesOf, StatusesOf, ValueOf, ValuesOf, ValueStatus } from "./feature-types.js";
export type { Instant } from "./to-instant.js";
export type { ValueExplain } from "../query/explain.js";
export { AggError, isAggError } from "../errors.js";
export type { AggErrorCode } from "../errors.js";
