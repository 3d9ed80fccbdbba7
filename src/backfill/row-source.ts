import type { Db } from "../store/sqlite/open-store.js";
import { RowLog, type LoggedRow } from "../store/sqlite/row-log.js";
import { rowTimeBounds } from "../store/row-time-bounds.js";

/**
 * Where a backfill reads the rows of one namespace: the store's row log, or an offline
 * source staged for the run. Both answer by event-time range, oldest first, so a backfill
 * can replace one time chunk at a time.
 */
export interface RowSource {
  /** "row log" or the offline source's name; recorded on the job. */
  readonly name: string;
  readonly namespace: string;
  bounds(): { min: number; max: number } | null;
  count(from: number, to: number): number;
  range(from: number, to: number): Iterable<LoggedRow>;
  /** The same rows as [ts, data] pairs, read at once (one chunk of a backfill). */
  timesAndData(from: number, to: number): [number, string][];
  /** Releases what the source holds (staged rows); the row log holds nothing. */
  close(): void;
}

export const ROW_LOG = "row log";

/** The store's own row log for `namespace`. */
export function rowLogSource(db: Db, namespace: string): RowSource {
  const log = new RowLog(db);
  let bounds: { min: number; max: number } | null | undefined;
  let total: number | undefined;
  return {
    name: ROW_LOG,
    namespace,
    bounds: () => (bounds = rowTimeBounds(db, namespace)),
    // Plans ask once per (series, size), mostly for ranges around all the data: count
    // that once (a scan of the time index), and ranges that cut it through their ends.
    count: (from, to) => {
      if (bounds === undefined || bounds === null || from > bounds.min || to <= bounds.max) return log.count(namespace, from, to);
      return (total ??= log.count(namespace, bounds.min, bounds.max + 1));
    },
    range: (from, to) => log.range(namespace, from, to),
    timesAndData: (from, to) => log.timesAndData(namespace, from, to),
    close: () => {},
  };
}
