import type { SeriesDef } from "../../series/derive.js";
import type { SeriesListRow } from "../../series/build-series-table.js";
import { bucketText, type SeriesTableRow } from "../../series/series-table.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { renderTable } from "../render-table.js";
import { openProjectAndStore } from "../session.js";

export interface ListOptions extends GlobalOptions {
  feature?: string[];
  wide?: boolean;
}

/** `agg aggregate list`: the series table, one row per rule. */
export async function listCommand(io: Io, options: ListOptions): Promise<void> {
  const { buildSeriesTable, filterByFeatures } = await import("../../series/build-series-table.js");
  const session = await openProjectAndStore(io, options, { claim: false });
  try {
    const rows = filterByFeatures(buildSeriesTable(session.defs, session.db, io.now()), options.feature ?? [], session.project);
    if (options.json) {
      io.out(JSON.stringify(rows.map((r) => (options.wide ? r : narrow(r))), null, 2));
      return;
    }
    if (rows.length === 0) {
      io.err(session.defs.length === 0 ? "No materialized windowed features in this project." : "No series match those features.");
      return;
    }
    io.out(seriesRowsTable(io, rows, options.wide ?? false));
  } finally {
    session.close();
  }
}

/** The series table as `agg list` prints it (also used by `agg backfill` for the series it touches). */
export function seriesRowsTable(io: Io, rows: readonly SeriesListRow[], wide: boolean): string {
  const head = ["Series", "Namespace", "Group", "Agg", "Bucket", "Retention", "Aggregation", "Dependent Features"];
  const wideHead = wide ? ["Filter", "Buckets", "Status", "Last Backfill", "Next Backfill"] : [];
  return renderTable(io, [...head, ...wideHead], rows.map((r) => [...cells(r), ...(wide ? wideCells(io, r) : [])]));
}

export type ListedRow = ReturnType<typeof narrow>;

function narrow(r: SeriesTableRow & { lastBackfill: string | null; nextBackfill: string | null }) {
  const zoned = r.bucketTimeZone === undefined ? {} : { bucketTimeZone: r.bucketTimeZone, ...(r.weekStart === undefined ? {} : { weekStart: r.weekStart }) };
  return { series: r.series, namespace: r.namespace, group: r.group, agg: r.agg, bucket: r.bucket, ...zoned, retention: r.retention, aggregation: r.aggregation, dependentFeatures: r.dependentFeatures };
}

function cells(r: SeriesTableRow): string[] {
  return [String(r.series), r.namespace, r.group.join(" "), r.agg, bucketText(r), r.retention, r.aggregation, r.dependentFeatures.join(" ")];
}

function wideCells(io: Io, r: SeriesTableRow & { lastBackfill: string | null; nextBackfill: string | null }): string[] {
  const status = r.status === "ok" ? io.color.green(r.status) : r.status === "needs backfill" ? io.color.yellow(r.status) : io.color.dim(r.status);
  return [r.filter, String(r.storedBuckets), status, r.lastBackfill ?? "-", r.nextBackfill ?? "-"];
}

export type { SeriesDef };
