import { WEEKDAYS } from "../dsl/windowed.js";
import type { SeriesDef } from "../series/derive.js";
import type { Db } from "../store/sqlite/open-store.js";
import { readSeries } from "../store/series-registry.js";
import type { SeriesAge } from "./metrics.js";

/** A series as `agg list` describes it: `transaction / user_id / amount where category = "food"`. */
export function seriesLabel(def: SeriesDef): string {
  const filter = def.filterText === "" ? "" : ` where ${def.filterText}`;
  const anchor = def.anchor === 0 ? "" : ` @${new Date(def.anchor).toISOString()}`;
  const zone = def.calendar == null ? "" : ` in ${def.calendar.zone}${def.calendar.weekStart === 1 ? "" : ` (weeks from ${WEEKDAYS[def.calendar.weekStart - 1]})`}`;
  return `${def.namespace} / ${def.groupKeys.join(" ")} / ${def.feature ?? "count"}${filter}${anchor}${zone}`;
}

/** Each served series' data age at `now`, from the store's records (read-only). */
export function seriesAges(db: Db, defs: readonly SeriesDef[], now: number): SeriesAge[] {
  const records = readSeries(db, defs);
  return defs.map((def) => {
    const record = records.get(def.identity);
    const age = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : (now - ms) / 1000);
    return { series: seriesLabel(def), newestEventAgeSeconds: age(record?.maxEventTime), materializedAgeSeconds: age(record?.materializedThrough) };
  });
}
