import { aggLabel } from "../aggregate/index.js";
import type { SeriesDef, SizeLayout } from "./derive.js";

/**
 * What the buckets of one (series, bucket size) must have been filled with to be served
 * as they are: the aggregations, the anchor and the retention. Ingest and backfill record
 * it; a different current signature means the feature changed and needs a backfill.
 */
export function layoutSignature(series: Pick<SeriesDef, "anchor">, size: SizeLayout): string {
  return JSON.stringify({ aggs: size.specs.map(aggLabel).sort(), anchor: series.anchor, retention: size.retentionMs });
}
