import type { Project, StreamModel } from "../project/model.js";
import type { CompiledSeries } from "../series/compiled-series.js";
import type { Db } from "../store/sqlite/open-store.js";
import { dropRowKeyIndexes, ensureRowKeyIndexes } from "../store/sqlite/row-log.js";
import { tuneForWrites } from "../store/sqlite/tune-for-writes.js";
import { affectedSeries, type NeedsBackfill } from "./affected-series.js";
import { staleReasonText, staleSizes } from "../series/stale-sizes.js";
import { formatDuration } from "../time/duration.js";
import { BatchApplier } from "./apply-batch.js";
import { keyFeatures, keyTooLong } from "./check-keys.js";
import { DEFAULT_LIMITS } from "./input-limits.js";
import type { InputMessage } from "./input-message.js";
import type { IngestProgress, IngestSummary, Rejection } from "./ingest-summary.js";
import type { NormalizedRow } from "./normalize-row.js";
import { prepareMessage, type Prepared } from "./prepare-message.js";
import { rowKeyFeatures } from "./row-key-features.js";

export interface IngestOptions {
  readonly db: Db;
  readonly project: Project;
  readonly stream: StreamModel;
  /** Every compiled series of the project; ingest picks the ones the stream feeds. */
  readonly series: readonly CompiledSeries[];
  readonly messages: AsyncIterable<InputMessage>;
  /** Messages per transaction (a transaction also commits after `maxBatchDelayMs`). */
  readonly batchSize: number;
  /** fail: stop at the first rejected message (earlier ones are kept); skip: go on. */
  readonly onError: "fail" | "skip";
  readonly onReject?: (rejection: Rejection) => void;
  /** Called every few hundred messages and after each batch; the caller throttles. */
  readonly onProgress?: (progress: IngestProgress) => void;
  /**
   * Commit a batch this long after its first row at the latest, so a live stream's rows
   * (or a quiet one's) are not held back until the batch fills. Off when undefined.
   */
  readonly maxBatchDelayMs?: number;
  /** Stored buckets listed between batches, at most (default 50,000; see SizeCache). */
  readonly cacheLimit?: number;
  /** Buckets a transaction holds before it writes them (default OPEN_LIMIT). */
  readonly openLimit?: number;
  /** Bytes of UTF-8 a primary or group key may hold (default DEFAULT_LIMITS.maxKeyBytes); a longer one is rejected. */
  readonly maxKeyBytes?: number;
  /** The clock, only for `seconds`. */
  readonly now: () => number;
  /**
   * Stops the run between two messages (also while waiting for input): what was read is
   * committed and the result says where it stopped (`interrupted`). Its reason, if a
   * string, is reported as it is (the CLI passes the signal's name).
   */
  readonly signal?: AbortSignal;
  /**
   * Called after each commit with the line of the last message the store now accounts
   * for: its row committed, or it was skipped, or rejected and given to `onReject`, as was
   * every message before it. A broker source acknowledges through it. With it set, a run
   * of skipped or rejected messages is settled after `maxBatchDelayMs` too.
   */
  readonly onCommitted?: (throughLine: number) => void;
}

export interface IngestResult {
  readonly summary: IngestSummary;
  /** With `onError: "fail"`, the message that stopped the run; every message before it was committed. */
  readonly failure: Rejection | null;
  /** Set when `signal` stopped the run: what was committed, for the caller to report. */
  readonly interrupted: Interrupted | null;
}

/** Where a run stopped by its signal left the store: every message read is committed. */
export interface Interrupted {
  /** The abort reason when it is a string (a signal's name), else "aborted". */
  readonly reason: string;
  /** Rows the committed transactions wrote to the row log (inserted and replaced). */
  readonly rowsCommitted: number;
  /** The input line of the last message read before the last commit; null: none was committed. */
  readonly lastCommittedLine: number | null;
}

/**
 * Rows applied at a time inside a transaction: what memory holds of a batch. Small enough
 * that a slice's rows mostly die young (V8 then need not grow its old generation); the
 * buckets they change stay open for the whole transaction (see BatchApplier.apply).
 */
const SLICE = 2000;

/**
 * Streams messages through validate -> resolve -> row log -> buckets, in batches of
 * `batchSize` messages per transaction, applied in slices of at most SLICE rows. A
 * transaction's commit writes every page it changed, and bucket writes land all over the
 * bucket table, so fewer, larger transactions write much less. Returns counts; never prints.
 */
export async function ingestMessages(options: IngestOptions): Promise<IngestResult> {
  const { db, stream } = options;
  const ns = options.project.namespaces.get(stream.output)!;
  const startedAt = options.now();
  const affected = affectedSeries(db, options.series, stream, ns);
  // Series whose buckets miss history read it from the row log by entity until a backfill: index it.
  const readingHistory = new Set(staleSizes(db, options.series.filter((s) => s.def.namespace === ns.name).map((s) => s.def)).flatMap((s) => (s.seriesId === null ? [] : [s.seriesId])));
  const keys = rowKeyFeatures(options.project, ns.name, options.series, readingHistory);
  const keyNames = keyFeatures(options.project, ns, options.series);
  const maxKeyBytes = options.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes;
  ensureRowKeyIndexes(db, ns.name, keys.indexed);
  dropRowKeyIndexes(db, ns.name, keys.unindexed);
  tuneForWrites(db);
  const applier = new BatchApplier(db, ns.name, affected.targets, { indexed: keys.indexed, onDemand: keys.onDemand }, options.cacheLimit, options.openLimit);
  const counts = { messagesRead: 0, rowsInserted: 0, duplicates: 0, replaced: 0, rejected: 0, skipped: 0, bucketsWritten: 0, bucketsDeleted: 0 };
  const past = { rows: 0, from: Infinity, to: -Infinity };
  const seriesUpdated = new Set<number>();
  const progress = () => options.onProgress?.({ messagesRead: counts.messagesRead, rowsInserted: counts.rowsInserted, rejected: counts.rejected, seconds: (options.now() - startedAt) / 1000 });
  // Rows read but not yet applied, and rows taken into the open transaction (applied or not).
  let pending: NormalizedRow[] = [];
  let open = 0;
  // The line of the last message read, and of the last one read when a transaction committed.
  let lastLine: number | null = null;
  let committedLine: number | null = null;
  // The line of the last message fully handled, and the last one passed to onCommitted.
  let handled: number | null = null;
  let settled: number | null = null;
  let failure: Rejection | null = null;
  let timer: NodeJS.Timeout | undefined;
  let timerError: unknown;

  const applyPending = () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = []; // cleared first: a failed apply is not retried by the `finally` below
    applier.apply(rows);
  };

  const settle = () => {
    if (handled === null || handled === settled) return;
    settled = handled;
    options.onCommitted?.(handled);
  };

  const commit = () => {
    clearTimeout(timer);
    timer = undefined;
    if (open === 0) return settle();
    open = 0;
    applyPending();
    const result = applier.commit();
    committedLine = lastLine;
    counts.rowsInserted += result.inserted;
    counts.duplicates += result.duplicates;
    counts.replaced += result.replaced;
    counts.bucketsWritten += result.bucketsWritten;
    counts.bucketsDeleted += result.bucketsDeleted;
    past.rows += result.pastRetention.rows;
    past.from = Math.min(past.from, result.pastRetention.from);
    past.to = Math.max(past.to, result.pastRetention.to);
    for (const id of result.series) seriesUpdated.add(id);
    progress();
    settle();
  };

  // Runs between two messages (JavaScript is single-threaded), so no row is half applied.
  const commitLater = () => {
    try {
      commit();
    } catch (error) {
      timerError = error;
    }
  };

  const input = options.messages[Symbol.asyncIterator]();
  const next = reader(input, options.signal);
  let waiting = false;
  try {
    for (;;) {
      if (options.signal?.aborted === true) break;
      waiting = true;
      const read = await next();
      if (read === STOPPED) break;
      waiting = false;
      if (read.done === true) break;
      const message = read.value;
      if (timerError !== undefined) throw timerError;
      counts.messagesRead++;
      lastLine = message.line;
      let prepared: Prepared = prepareMessage(stream, ns, message);
      if (prepared.kind === "row") {
        const tooLong = keyTooLong(ns, prepared.row.row, keyNames, maxKeyBytes);
        if (tooLong !== null) prepared = { kind: "reject", reason: tooLong };
      }
      if (prepared.kind === "row") {
        pending.push(prepared.row);
        if (++open === 1 && timer === undefined && options.maxBatchDelayMs !== undefined) timer = setTimeout(commitLater, options.maxBatchDelayMs);
      } else if (prepared.kind === "skip") counts.skipped++;
      else {
        counts.rejected++;
        const rejection = { line: message.line, reason: prepared.reason, message: message.raw, ...(prepared.resolverFault !== undefined && { resolverFault: prepared.resolverFault }) };
        options.onReject?.(rejection);
        if (options.onError === "fail") {
          failure = rejection;
          break;
        }
      }
      handled = message.line;
      if (timer === undefined && options.onCommitted !== undefined && options.maxBatchDelayMs !== undefined) timer = setTimeout(commitLater, options.maxBatchDelayMs);
      if (open >= options.batchSize) commit();
      else if (pending.length >= SLICE) applyPending();
      else if (counts.messagesRead % 256 === 0) progress();
    }
  } finally {
    // Good messages read before a rejection or a read error are kept.
    if (timerError === undefined) commit();
    clearTimeout(timer);
    // As `for await` does, but a read still waiting for input is not waited for.
    if (waiting) void input.return?.()?.catch(() => undefined);
    else await input.return?.();
  }
  if (timerError !== undefined) throw timerError;

  const summary: IngestSummary = {
    source: stream.source,
    messagesRead: counts.messagesRead,
    rowsInserted: counts.rowsInserted,
    duplicates: counts.duplicates,
    replaced: counts.replaced,
    rejected: counts.rejected,
    skipped: counts.skipped,
    seriesUpdated: seriesUpdated.size,
    bucketsWritten: counts.bucketsWritten,
    bucketsDeleted: counts.bucketsDeleted,
    rowLogOnly: !stream.updatesMaterializedAggregations,
    needsBackfill: [...new Map([...affected.needsBackfill, ...applier.needsBackfill(), ...missingHistory(db, options.series, ns.name)].map((n) => [`${n.series}:${n.bucket}`, n])).values()],
    olderThanRetention: past.rows === 0 ? null : { ...past },
    seconds: (options.now() - startedAt) / 1000,
  };
  const interrupted = options.signal?.aborted === true ? { reason: typeof options.signal.reason === "string" ? options.signal.reason : "aborted", rowsCommitted: counts.rowsInserted + counts.replaced, lastCommittedLine: committedLine } : null;
  return { summary, failure, interrupted };
}

const STOPPED = Symbol("stopped");

/**
 * `input.next()`, or STOPPED as soon as `signal` aborts while it waits (a quiet stdin).
 * One promise per read, nothing kept: a race against one long-lived promise would keep
 * a reaction per message.
 */
function reader(input: AsyncIterator<InputMessage>, signal: AbortSignal | undefined): () => Promise<IteratorResult<InputMessage> | typeof STOPPED> {
  if (signal === undefined) return () => input.next();
  let wake: ((value: typeof STOPPED) => void) | null = null;
  signal.addEventListener("abort", () => wake?.(STOPPED), { once: true });
  return () =>
    new Promise((resolve, reject) => {
      wake = resolve;
      input.next().then(resolve, reject);
    });
}

/** Sizes over the namespace whose buckets miss logged history (queries read it from the row log). */
function missingHistory(db: Db, series: readonly CompiledSeries[], namespace: string): NeedsBackfill[] {
  const defs = series.filter((s) => s.def.namespace === namespace).map((s) => s.def);
  return staleSizes(db, defs).map((s) => ({ series: s.seriesId, bucket: formatDuration(s.bucketMs), features: s.features, reason: staleReasonText(s) }));
}
