import type { PastRetention } from "../../backfill/past-retention.js";
import type { PlanItem } from "../../backfill/plan-backfill.js";
import type { StaleJob } from "../../store/jobs.js";
import type { Db } from "../../store/sqlite/open-store.js";
import { AggError } from "../../errors.js";
import { formatDuration } from "../../time/duration.js";
import { formatInstant, InstantError, parseInstant } from "../../time/instant.js";
import { gridOf } from "../../time/bucket-grid.js";
import { formatLocalTime } from "../../time/zone-days.js";
import type { Io } from "../io.js";
import { renderTable } from "../render-table.js";

/** A time flag (--lower-bound, --now) as epoch ms; a usage error names the flag. */
export function instantFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseInstant(text);
  } catch (error) {
    if (error instanceof InstantError) throw new AggError("usage", `${flag}: ${error.message}`, { hint: error.hint });
    throw error;
  }
}

/**
 * Marks failed the jobs left queued or working by processes that are gone (killed or
 * crashed), with a note on stderr. Every command that reads or starts jobs calls it first.
 */
export async function failStaleJobs(io: Io, db: Db): Promise<void> {
  const { failStaleJobs: failStale } = await import("../../store/jobs.js");
  const { processState } = await import("../../backfill/process-alive.js");
  for (const job of failStale(db, processState, io.now())) io.err(staleJobNote(job));
}

/** The note for a job a dead process left open, which was marked failed. */
export function staleJobNote(job: StaleJob): string {
  const what = job.state === "reused" ? "which is not the process that ran it any more (its PID was reused)" : "which is gone";
  return `note: job ${job.id} was left ${job.status} by process ${job.pid}, ${what}; marked failed (it records the rows and buckets its committed chunks wrote; chunks it had not committed are unchanged)`;
}

/** One plan entry as `--json` prints it. */
export function planJson(item: PlanItem) {
  return {
    series: item.series.id,
    bucket: formatDuration(item.size.bucketMs),
    lower: item.range === null ? null : formatInstant(item.range.lower),
    upper: item.range === null ? null : formatInstant(item.range.upper),
    ...zonedJson(item),
    rows: item.rows,
    note: note(item) || null,
    features: dependents(item),
  };
}

/** The plan as a table: what each (series, size) will replace and how many rows it reads. */
export function planTable(io: Io, source: string, plan: readonly PlanItem[]): string {
  const rows = plan.map((item) => [
    String(item.series.id),
    bucketCell(item),
    item.range === null ? "-" : timeCell(item, item.range.lower),
    item.range === null ? "-" : timeCell(item, item.range.upper),
    item.rows.toLocaleString("en-US"),
    note(item),
  ]);
  return `Plan (source: ${source}):\n${renderTable(io, ["Series", "Bucket", "From", "To (excl.)", "Rows", "Note"], rows)}`;
}

/** The zone a whole-day size follows (its buckets are local days), or null. */
function zoneOf(item: PlanItem): string | null {
  return gridOf(item.series.def, item.size.bucketMs).zone;
}

function bucketCell(item: PlanItem): string {
  const zone = zoneOf(item);
  return zone === null ? formatDuration(item.size.bucketMs) : `${formatDuration(item.size.bucketMs)} ${zone}`;
}

/** A range end in UTC, and on a zone's calendar also as local time: `2024-03-10T05:00:00Z (2024-03-10T00:00:00-05:00)`. */
function timeCell(item: PlanItem, t: number): string {
  const zone = zoneOf(item);
  return zone === null ? formatInstant(t) : `${formatInstant(t)} (${formatLocalTime(t, zone)})`;
}

function zonedJson(item: PlanItem) {
  const zone = zoneOf(item);
  if (zone === null) return {};
  return { bucketTimeZone: zone, localLower: item.range === null ? null : formatLocalTime(item.range.lower, zone), localUpper: item.range === null ? null : formatLocalTime(item.range.upper, zone) };
}

function note(item: PlanItem): string {
  if (item.range === null) return "no rows to read";
  const { filledFrom } = item;
  if (filledFrom === null || filledFrom === undefined) return "";
  const at = formatInstant(filledFrom);
  if (item.range.upper < filledFrom) return `stops before ${at}, where the filled buckets start: queries keep reading this range's history from the row log`;
  if (item.range.lower < filledFrom) return `fills the history before ${at}`;
  return `leaves the history before ${at} unfilled: queries keep reading it from the row log`;
}

function dependents(item: PlanItem): string[] {
  return [...new Set(item.series.def.rules.filter((r) => r.bucketMs === item.size.bucketMs).flatMap((r) => r.dependents))];
}

/** Rows retention kept out of the buckets, as `--json` prints them. */
export function pastRetentionJson(p: PastRetention) {
  return { series: p.seriesId, bucket: formatDuration(p.bucketMs), source: p.source, rows: p.rows, from: formatInstant(p.from), before: formatInstant(p.before), inRowLog: p.inRowLog };
}

/** One line per (series, size) with rows older than its retention: a note when the row log holds them, a warning when nothing does. */
export function pastRetentionLines(io: Io, past: readonly PastRetention[], plan: readonly PlanItem[]): string[] {
  return past.map((p) => {
    const item = plan.find((i) => i.series.id === p.seriesId && i.size.bucketMs === p.bucketMs);
    const what = `series ${p.seriesId} (${formatDuration(p.bucketMs)} buckets): ${p.rows.toLocaleString("en-US")} row${p.rows === 1 ? "" : "s"} from ${formatInstant(p.from)} to before ${formatInstant(p.before)} ${p.rows === 1 ? "is" : "are"} older than its retention${item === undefined ? "" : ` (${formatDuration(item.size.retentionMs)})`}`;
    if (p.inRowLog) return `note: ${what}: in no bucket; queries compute their windows from the row log`;
    return `${io.color.yellow("warning")}: ${what}: in no bucket, and offline source "${p.source}" is not in the row log, so no query sees them; keep them with materialization.retention, or ingest them`;
  });
}

/** A progress line on stderr (ora) while a backfill runs, on a terminal only. */
export interface Progress {
  staged(rows: number): void;
  planned(plan: readonly PlanItem[]): void;
  read(rows: number): void;
  /** Prints a line on stdout without tearing the progress line. */
  above(text: string): void;
  stop(): void;
}

/** Redraws at most this often (ms). */
const REDRAW_MS = 100;

export async function startProgress(io: Io, source: string): Promise<Progress> {
  // A terminal without a width (some pseudo-terminals) would make ora clear endlessly.
  if (!io.interactive || !process.stderr.columns) return { staged() {}, planned() {}, read() {}, above: (text) => io.out(text), stop() {} };
  const { default: ora } = await import("ora");
  const spinner = ora({ text: `reading ${source}`, stream: process.stderr }).start();
  let began = io.now();
  let drawn = 0;
  let total = 0;
  const rate = (rows: number): string => `${Math.round(rows / Math.max(0.001, (io.now() - began) / 1000)).toLocaleString("en-US")} rows/s`;
  const draw = (text: string): void => {
    if (io.now() - drawn < REDRAW_MS) return;
    drawn = io.now();
    spinner.text = text;
    spinner.render();
  };
  return {
    staged(rows) {
      draw(`reading ${source}: ${rows.toLocaleString("en-US")} rows, ${rate(rows)}`);
    },
    planned(plan) {
      total = plan.reduce((sum, item) => sum + item.rows, 0);
      began = io.now();
    },
    read(rows) {
      const share = total === 0 ? 1 : Math.min(1, rows / total);
      const filled = Math.round(share * 24);
      draw(`[${"█".repeat(filled)}${"░".repeat(24 - filled)}] ${Math.floor(share * 100)}% ${rows.toLocaleString("en-US")}/${total.toLocaleString("en-US")} rows, ${rate(rows)}`);
    },
    above(text) {
      spinner.clear();
      io.out(text);
      spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
