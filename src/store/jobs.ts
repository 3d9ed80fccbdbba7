import type { Db } from "./sqlite/open-store.js";

export type JobStatus = "queued" | "working" | "completed" | "failed";

/** One backfill run as recorded in the `jobs` table. Times are epoch ms. */
export interface JobRecord {
  readonly id: number;
  /** Root FQNs that were asked for; empty means every materialized series. */
  readonly features: readonly string[];
  readonly series: readonly number[];
  /** The range filled (smallest lower and largest upper over its bucket sizes); null until planned or when there was no data. */
  readonly lower: number | null;
  readonly upper: number | null;
  /** "row log" or the offline source's name. */
  readonly source: string;
  readonly status: JobStatus;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly rows: number;
  readonly buckets: number;
  readonly error: string | null;
  readonly pid: number | null;
  /** When that process started (process-alive.ts), to tell it from a later one with its PID. */
  readonly pidStart: string | null;
}

interface JobRow {
  id: number;
  features: string;
  series: string;
  lower_bound: number | null;
  upper_bound: number | null;
  source: string;
  status: JobStatus;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  rows: number;
  buckets: number;
  error: string | null;
  pid: number | null;
  /** Absent in a store of schema 4 read without migrating (`agg aggregate jobs`). */
  pid_start?: string | null;
}

export interface NewJob {
  readonly features: readonly string[];
  readonly series: readonly number[];
  readonly source: string;
  readonly pid: number;
  readonly pidStart: string | null;
}

/** Records a queued job and returns its id. */
export function createJob(db: Db, job: NewJob, now: number): number {
  const result = db
    .prepare("INSERT INTO jobs (features, series, source, status, created_at, pid, pid_start) VALUES (?, ?, ?, 'queued', ?, ?, ?)")
    .run(JSON.stringify(job.features), JSON.stringify(job.series), job.source, now, job.pid, job.pidStart);
  return Number(result.lastInsertRowid);
}

export function startJob(db: Db, id: number, now: number): void {
  db.prepare("UPDATE jobs SET status = 'working', started_at = ? WHERE id = ?").run(now, id);
}

/** The range a job fills, known once its source is read and its plan made. */
export function setJobRange(db: Db, id: number, lower: number | null, upper: number | null): void {
  db.prepare("UPDATE jobs SET lower_bound = ?, upper_bound = ? WHERE id = ?").run(lower, upper, id);
}

/**
 * What the job's committed chunks wrote so far; runs inside each chunk's transaction, so a
 * job killed part way records exactly what it committed.
 */
export function recordJobProgress(db: Db, id: number, totals: { rows: number; buckets: number }): void {
  db.prepare("UPDATE jobs SET rows = ?, buckets = ? WHERE id = ?").run(totals.rows, totals.buckets, id);
}

export function completeJob(db: Db, id: number, totals: { rows: number; buckets: number }, now: number): void {
  db.prepare("UPDATE jobs SET status = 'completed', finished_at = ?, rows = ?, buckets = ?, error = NULL WHERE id = ?").run(now, totals.rows, totals.buckets, id);
}

export function failJob(db: Db, id: number, error: string, totals: { rows: number; buckets: number }, now: number): void {
  db.prepare("UPDATE jobs SET status = 'failed', finished_at = ?, rows = ?, buckets = ?, error = ? WHERE id = ?").run(now, totals.rows, totals.buckets, error, id);
}

/** The newest `limit` jobs, newest first. */
export function listJobs(db: Db, limit: number): JobRecord[] {
  return db.prepare<[number], JobRow>("SELECT * FROM jobs ORDER BY id DESC LIMIT ?").all(limit).map(toRecord);
}

/** What became of a job's process (backfill/process-alive.ts: processState). */
export type ProcessState = "alive" | "gone" | "reused";

/** A job `failStaleJobs` marked failed, and why. */
export interface StaleJob extends JobRecord {
  readonly state: Exclude<ProcessState, "alive"> | "unknown";
}

/**
 * Marks failed every queued or working job whose process is gone (killed, crashed, the
 * machine restarted) or whose PID now belongs to another process. Its buckets need no
 * repair: a backfill replaces buckets only inside committing transactions, and each of
 * them also recorded the job's rows and buckets so far. Returns the jobs it marked.
 */
export function failStaleJobs(db: Db, stateOf: (pid: number, start: string | null) => ProcessState, now: number): StaleJob[] {
  const open = db.prepare<[], JobRow>("SELECT * FROM jobs WHERE status IN ('queued', 'working')").all().map(toRecord);
  const stale: StaleJob[] = [];
  for (const job of open) {
    const state = job.pid === null ? "unknown" : stateOf(job.pid, job.pidStart);
    if (state !== "alive") stale.push({ ...job, state });
  }
  const mark = db.prepare("UPDATE jobs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status IN ('queued', 'working')");
  for (const job of stale) mark.run(now, staleText(job), job.id);
  return stale;
}

function staleText(job: StaleJob): string {
  if (job.state === "unknown") return "stale: no process recorded";
  if (job.state === "reused") return `stale: process ${job.pid} is not the process that ran the job (its PID was reused)`;
  return `stale: process ${job.pid} is gone`;
}

/** Records that a feature's backfillSchedule ran at `at` (read back by `scheduleRuns`). */
export function recordScheduleRun(db: Db, feature: string, at: number): void {
  db.prepare("INSERT INTO schedule_runs (feature, last_run) VALUES (?, ?) ON CONFLICT DO UPDATE SET last_run = excluded.last_run").run(feature, at);
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    features: JSON.parse(row.features) as string[],
    series: JSON.parse(row.series) as number[],
    lower: row.lower_bound,
    upper: row.upper_bound,
    source: row.source,
    status: row.status,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    rows: row.rows,
    buckets: row.buckets,
    error: row.error,
    pid: row.pid,
    pidStart: row.pid_start ?? null,
  };
}
