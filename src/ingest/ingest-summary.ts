import type { NeedsBackfill } from "./affected-series.js";

/** What `agg ingest` did; printed by the CLI, as JSON with --json. */
export interface IngestSummary {
  readonly source: string;
  /** Messages read from the input, rejected ones included. */
  readonly messagesRead: number;
  readonly rowsInserted: number;
  /** Rows already logged with the same content: nothing changed. */
  readonly duplicates: number;
  /** Rows that replaced a logged row with other content; their buckets were recomputed. */
  readonly replaced: number;
  readonly rejected: number;
  /** Messages the resolver returned null for. */
  readonly skipped: number;
  /** Series with a bucket written or deleted. */
  readonly seriesUpdated: number;
  readonly bucketsWritten: number;
  /** Buckets deleted: past retention, or emptied by a replaced row. */
  readonly bucketsDeleted: number;
  /** The resolver has `updatesMaterializedAggregations: false`: rows went to the log only. */
  readonly rowLogOnly: boolean;
  /** Sizes left alone because their stored buckets were filled for another definition. */
  readonly needsBackfill: readonly NeedsBackfill[];
  /**
   * Rows logged but older than the retention of some bucket size they belong to, so in no
   * bucket of it (queries compute those windows from the row log); null when none.
   */
  readonly olderThanRetention: { readonly rows: number; readonly from: number; readonly to: number } | null;
  readonly seconds: number;
}

/** A message that was not ingested, with where it starts and why. */
export interface Rejection {
  readonly line: number;
  readonly reason: string;
  /** The message as it appeared in the input. */
  readonly message: string;
  /** The message was valid and the resolver declared here returned a bad row. */
  readonly resolverFault?: string;
}

/** Counts as the run goes, for the progress display. */
export interface IngestProgress {
  readonly messagesRead: number;
  readonly rowsInserted: number;
  readonly rejected: number;
  readonly seconds: number;
}
