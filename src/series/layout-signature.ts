import { aggLabel } from "../aggregate/index.js";
import type { SeriesDef, SizeLayout } from "./derive.js";

/**
 * What the buckets of one (series, bucket size) must have been filled with to be served
 * as they are: the aggregations, the anchor (and zone) and the retention. Ingest and backfill record
 * it; a different current signature means the feature changed and needs a backfill.
 */
export function layoutSignature(series: Pick<SeriesDef, "anchor" | "calendar">, size: SizeLayout): string {
  // The zone only where one is declared: signatures recorded before zones existed stay equal.
  const zoned = series.calendar == null ? {} : { zone: series.calendar.zone, weekStart: series.calendar.weekStart };
  return JSON.stringify({ aggs: size.specs.map(aggLabel).sort(), anchor: series.anchor, retention: size.retentionMs, ...zoned });
}
