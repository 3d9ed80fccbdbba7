import type { Row } from "../aggregate/types.js";
import type { NamespaceModel, Project } from "../project/model.js";
import type { CompiledSeries } from "../series/compiled-series.js";

/**
 * The features of `ns` whose values are keys: its primary key, every group key of a
 * series over it, and the join and group-by keys of its windowed features (materialized
 * or not). A key is stored again in every bucket and index that holds it.
 */
export function keyFeatures(project: Project, ns: NamespaceModel, series: readonly CompiledSeries[]): string[] {
  const keys = new Set<string>();
  if (ns.primaryKey !== null) keys.add(ns.primaryKey);
  for (const s of series) if (s.def.namespace === ns.name) for (const key of s.def.groupKeys) keys.add(key);
  for (const feature of project.windowed) {
    if (feature.source !== ns.name) continue;
    keys.add(feature.joinKey);
    for (const key of feature.groupBy) keys.add(key);
  }
  return [...keys];
}

/** Why the row's keys cannot be stored (one longer than `maxBytes` bytes of UTF-8), or null. */
export function keyTooLong(ns: NamespaceModel, row: Row, keys: readonly string[], maxBytes: number): string | null {
  for (const name of keys) {
    const value = row[name];
    // A UTF-16 code unit is at most 3 bytes of UTF-8: most keys need no count.
    if (typeof value !== "string" || value.length * 3 <= maxBytes) continue;
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > maxBytes) return `${ns.name}.${name} is ${bytes.toLocaleString("en-US")} bytes long; a key (primary or group key) may be at most ${maxBytes.toLocaleString("en-US")} bytes of UTF-8 (AGG_MAX_KEY_BYTES raises the limit)`;
  }
  return null;
}
