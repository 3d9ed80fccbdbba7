import { WEEKDAYS } from "../dsl/windowed.js";
import { isCalendarSize } from "../time/bucket-grid.js";
import { formatDuration, WEEK_MS } from "../time/duration.js";
import type { SeriesDef } from "./derive.js";

/** One row of `agg list`: a rule of a series. */
export interface SeriesTableRow {
  readonly series: number;
  readonly namespace: string;
  readonly group: readonly string[];
  /** The aggregated feature; "" for a bare count. */
  readonly agg: string;
  readonly bucket: string;
  /** bucketTimeZone, for a whole-day size that follows its calendar. */
  readonly bucketTimeZone?: string;
  /** weekStart, for a 7-day multiple on a zone's calendar. */
  readonly weekStart?: string;
  readonly retention: string;
  readonly aggregation: string;
  readonly dependentFeatures: readonly string[];
  readonly filter: string;
  readonly storedBuckets: number;
  /** "ok", "empty" (nothing stored yet) or "needs backfill" (its buckets miss logged rows). */
  readonly status: SeriesStatus;
}

export type SeriesStatus = "ok" | "empty" | "needs backfill";

/** What the store holds for one (series, bucket size). */
export interface StoredSize {
  readonly buckets: number;
  /** The store has a record of the size. */
  readonly recorded: boolean;
  /** Its buckets miss logged rows until a backfill (series/stale-sizes.ts). */
  readonly stale: boolean;
}

export function seriesTable(defs: readonly SeriesDef[], ids: ReadonlyMap<string, number>, stored: (seriesId: number, bucketMs: number) => StoredSize): SeriesTableRow[] {
  const rows: SeriesTableRow[] = [];
  const sorted = [...defs].sort((a, b) => (ids.get(a.identity) ?? Infinity) - (ids.get(b.identity) ?? Infinity));
  for (const def of sorted) {
    const id = ids.get(def.identity) ?? 0;
    for (const rule of def.rules) {
      const info = stored(id, rule.bucketMs);
      rows.push({
        series: id,
        namespace: def.namespace,
        group: def.groupKeys,
        agg: def.feature ?? "",
        ...bucketCells(def, rule.bucketMs),
        retention: formatDuration(rule.retentionMs),
        aggregation: rule.label,
        dependentFeatures: rule.dependents,
        filter: def.filterText,
        storedBuckets: info.buckets,
        status: sizeStatus(info),
      });
    }
  }
  return rows;
}

function sizeStatus(info: StoredSize): SeriesStatus {
  if (info.stale) return "needs backfill";
  return info.recorded && info.buckets > 0 ? "ok" : "empty";
}

/** The size, and the zone (and week start) a whole-day size follows (SPEC 1.2). */
function bucketCells(def: SeriesDef, bucketMs: number): { bucket: string; bucketTimeZone?: string; weekStart?: string } {
  const bucket = formatDuration(bucketMs);
  if (def.calendar == null || !isCalendarSize(bucketMs)) return { bucket };
  const { zone, weekStart } = def.calendar;
  return bucketMs % WEEK_MS === 0 ? { bucket, bucketTimeZone: zone, weekStart: WEEKDAYS[weekStart - 1]! } : { bucket, bucketTimeZone: zone };
}

/** The Bucket cell of a table: `1d`, `1d America/New_York`, `7d America/New_York from Monday`. */
export function bucketText(row: Pick<SeriesTableRow, "bucket" | "bucketTimeZone" | "weekStart">): string {
  if (row.bucketTimeZone === undefined) return row.bucket;
  return `${row.bucket} ${row.bucketTimeZone}${row.weekStart === undefined ? "" : ` from ${row.weekStart}`}`;
}
