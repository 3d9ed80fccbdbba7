import { AggError, isAggError } from "../errors.js";
import type { OfflineSourceModel, Project } from "../project/model.js";
import type { CompiledSeries } from "../series/compiled-series.js";
import { completeJob, createJob, failJob, recordJobProgress, setJobRange, startJob } from "../store/jobs.js";
import type { Db } from "../store/sqlite/open-store.js";
import { readSizeRecords, type SizeRecord } from "../store/size-state.js";
import { rowsPastRetention, type PastRetention } from "./past-retention.js";
import { processStart } from "./process-alive.js";
import { planBackfill, planSpan, type PlanItem, type RangeRequest } from "./plan-backfill.js";
import { ROW_LOG, rowLogSource, type RowSource } from "./row-source.js";
import { runBackfill, type BackfillTotals } from "./run-backfill.js";
import { stageOfflineSource } from "./stage-offline-source.js";

export interface BackfillRequest {
  /** Root FQNs asked for (recorded on the job); empty means every materialized series. */
  readonly features: readonly string[];
  readonly series: readonly CompiledSeries[];
  /** An offline source to read instead of the row log. */
  readonly source: OfflineSourceModel | null;
  readonly range: RangeRequest;
}

export interface JobHooks {
  /** The clock for the job record; the only time the core reads. */
  readonly now: () => number;
  /** The process that runs the job, so a later run can tell a killed job from a live one. */
  readonly pid: number;
  readonly onStaged?: (rows: number) => void;
  readonly onPlan?: (plan: readonly PlanItem[]) => void;
  readonly onRows?: (rowsRead: number) => void;
  readonly signal?: AbortSignal;
  /** A stored bucket of the job's ranges failed its checksum; the job rewrites it. */
  readonly onDamaged?: (seriesId: number, bucketMs: number, keys: readonly string[], start: number) => void;
}

export interface JobOutcome extends BackfillTotals {
  readonly job: number;
  readonly plan: readonly PlanItem[];
  /** Rows read that retention kept out of the buckets (SPEC 3: reported, never silent). */
  readonly pastRetention: readonly PastRetention[];
  readonly seconds: number;
}

/** Reads the source (staging an offline one) and plans; the caller closes it. */
export async function prepareBackfill(
  db: Db,
  project: Project,
  request: BackfillRequest,
  onStaged?: (rows: number) => void,
  sizes: ReadonlyMap<string, SizeRecord> = readSizeRecords(db),
): Promise<{ plan: PlanItem[]; close(): void }> {
  const sources = new Map<string, RowSource>();
  if (request.source !== null) sources.set(request.source.output, await stageOfflineSource(db, project, request.source, onStaged));
  const sourceFor = (namespace: string): RowSource => {
    let source = sources.get(namespace);
    if (source === undefined) sources.set(namespace, (source = rowLogSource(db, namespace)));
    return source;
  };
  const close = (): void => sources.forEach((s) => s.close());
  try {
    return { plan: planBackfill(request.series, sourceFor, sizes, request.range), close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * A backfill as a job: recorded as working (with this process id) before anything is
 * read, then completed with its totals or failed with the error. A failure leaves every
 * chunk that had not committed exactly as it was. The error is rethrown with the job id.
 */
export async function runBackfillJob(db: Db, project: Project, request: BackfillRequest, hooks: JobHooks): Promise<JobOutcome> {
  const source = request.source?.name ?? ROW_LOG;
  const job = createJob(db, { features: request.features, series: request.series.map((s) => s.id), source, pid: hooks.pid, pidStart: processStart(hooks.pid) }, hooks.now());
  const started = hooks.now();
  startJob(db, job, started);
  const totals: BackfillTotals = { rows: 0, buckets: 0 };
  let prepared: { plan: PlanItem[]; close(): void } | undefined;
  try {
    prepared = await prepareBackfill(db, project, request, (rows) => {
      hooks.signal?.throwIfAborted();
      hooks.onStaged?.(rows);
    });
    const span = planSpan(prepared.plan);
    setJobRange(db, job, span.lower, span.upper);
    hooks.onPlan?.(prepared.plan);
    await runBackfill(db, prepared.plan, totals, {
      onCommit: (committed) => recordJobProgress(db, job, committed),
      ...(hooks.onRows && { onRows: hooks.onRows }),
      ...(hooks.signal && { signal: hooks.signal }),
      ...(hooks.onDamaged && { onDamaged: hooks.onDamaged }),
    });
    const pastRetention = rowsPastRetention(db, prepared.plan);
    const finished = hooks.now();
    completeJob(db, job, totals, finished);
    return { job, plan: prepared.plan, ...totals, pastRetention, seconds: (finished - started) / 1000 };
  } catch (error) {
    try {
      failJob(db, job, error instanceof Error ? error.message : String(error), totals, hooks.now());
    } catch {
      // The store refused the update too (locked, gone): the job stays "working" and the
      // next backfill, jobs or schedule run marks it failed once this process has exited.
    }
    if (isAggError(error)) throw new AggError(error.code, `backfill job ${job} failed: ${error.message}`, { ...(error.hint && { hint: error.hint }), meta: { ...error.meta, job }, cause: error });
    throw error;
  } finally {
    prepared?.close();
  }
}
