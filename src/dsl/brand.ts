/**
 * Brands recognise user exports. `Symbol.for` (not `instanceof`) because a feature file
 * loaded by the TS loader may see a second copy of this module.
 */
export const NAMESPACE = Symbol.for("agg.namespace");
export const SCALAR = Symbol.for("agg.scalar");
export const WINDOWED = Symbol.for("agg.windowed");
export const FEATURE_REF = Symbol.for("agg.featureRef");
export const STREAM = Symbol.for("agg.stream");
export const OFFLINE_SOURCE = Symbol.for("agg.offlineSource");

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && brand in value;
}
export const BROKER_SOURCE = Symbol.for("agg.brokerSource");
