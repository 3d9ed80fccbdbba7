import type { Site } from "../dsl/site.js";
import { MATERIALIZATION_KEYS, type Materialization } from "../dsl/windowed.js";
import { isCalendarSize } from "../time/bucket-grid.js";
import { MAX_BUCKETS_PER_WINDOW, bucketCount } from "../time/buckets.js";
import { DAY_MS, DurationError, formatDuration, parseDuration } from "../time/duration.js";
import { InstantError, parseInstant } from "../time/instant.js";
import { ScheduleError, parseSchedule } from "../time/schedule.js";
import type { MaterializationModel } from "./model.js";
import { parseCalendar } from "./validate-calendar.js";
import { problem, type Problem } from "./problem.js";
import { reportUnknownOptions } from "./unknown-options.js";

/** Parses a duration, or records a problem and returns null. */
export function durationOrProblem(text: unknown, what: string, site: Site | null, subject: string, problems: Problem[]): number | null {
  try {
    return parseDuration(text as string);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    problems.push(problem("bad-duration", `invalid ${what} ${JSON.stringify(text)} in ${subject}: ${error.reason}`, site, { subject, hint: error.hint }));
    return null;
  }
}

/** Validates `materialization` against the feature's windows: every window gets exactly one bucket size. */
export function validateMaterialization(
  input: Materialization,
  windows: readonly { text: string; ms: number }[],
  site: Site | null,
  subject: string,
  problems: Problem[],
): MaterializationModel | null {
  const bucketFor = new Map<number, number>();
  const before = problems.length;
  if (input === true) {
    for (const w of windows) bucketFor.set(w.ms, w.ms);
    return { bucketFor, anchor: 0, calendar: null, backfillSchedule: null, continuousBufferMs: null, retentionMs: null };
  }
  if (typeof input !== "object" || input === null) {
    problems.push(problem("bad-bucket", `materialization of ${subject} must be true or an object`, site, { subject, hint: 'write materialization: { bucketDuration: "1d" } or materialization: true' }));
    return null;
  }
  reportUnknownOptions(
    Object.keys(input).filter((key) => !(MATERIALIZATION_KEYS as readonly string[]).includes(key)),
    MATERIALIZATION_KEYS,
    `the materialization of ${subject}`,
    site,
    subject,
    problems,
  );
  const fallback = input.bucketDuration === undefined ? null : durationOrProblem(input.bucketDuration, "bucketDuration", site, subject, problems);
  const listed = new Map<number, string>();
  for (const [bucketText, windowTexts] of Object.entries(input.bucketDurations ?? {})) {
    const bucket = durationOrProblem(bucketText, "bucket duration", site, subject, problems);
    for (const windowText of typeof windowTexts === "string" ? [windowTexts] : windowTexts) {
      const windowMs = durationOrProblem(windowText, "window in bucketDurations", site, subject, problems);
      if (bucket === null || windowMs === null) continue;
      if (!windows.some((w) => w.ms === windowMs)) {
        problems.push(problem("bad-bucket", `bucketDurations of ${subject} lists window "${windowText}", which the feature does not declare`, site, { subject, hint: `the windows are ${windows.map((w) => w.text).join(", ")}` }));
      } else if (listed.has(windowMs)) {
        problems.push(problem("bad-bucket", `window "${windowText}" of ${subject} is listed under two bucket sizes ("${listed.get(windowMs)}" and "${bucketText}")`, site, { subject, hint: "list each window under one bucket size only" }));
      } else {
        listed.set(windowMs, bucketText);
        bucketFor.set(windowMs, bucket);
      }
    }
  }
  for (const w of windows) {
    if (bucketFor.has(w.ms)) continue;
    if (fallback === null) {
      if (input.bucketDuration === undefined) {
        problems.push(problem("bad-bucket", `window "${w.text}" of ${subject} has no bucket size`, site, { subject, hint: 'add bucketDuration: "1d", or list the window in bucketDurations' }));
      }
      continue;
    }
    bucketFor.set(w.ms, fallback);
  }
  const calendar = parseCalendar(input, site, subject, problems);
  for (const [windowMs, bucket] of bucketFor) {
    // A local day may last 23 hours (or less, where a zone skipped a date): a window then
    // touches more calendar buckets than its length in nominal ones; two days cover it.
    const spans = calendar !== null && isCalendarSize(bucket) ? bucketCount(windowMs + 2 * DAY_MS, bucket) : bucketCount(windowMs, bucket);
    if (bucket > windowMs) {
      problems.push(problem("bad-bucket", `bucket "${formatDuration(bucket)}" of ${subject} is longer than its window "${formatDuration(windowMs)}"`, site, { subject, hint: "use a bucket no longer than the window (buckets divide the window)" }));
    } else if (spans > MAX_BUCKETS_PER_WINDOW) {
      problems.push(problem("bad-bucket", `window "${formatDuration(windowMs)}" of ${subject} spans ${spans.toLocaleString("en-US")} buckets of "${formatDuration(bucket)}"; at most ${MAX_BUCKETS_PER_WINDOW.toLocaleString("en-US")} are allowed`, site, { subject, hint: "use a larger bucket for this window, e.g. with bucketDurations" }));
    }
  }
  const anchor = parseAnchor(input.bucketStart, site, subject, problems);
  const backfillSchedule = parseBackfillSchedule(input.backfillSchedule, site, subject, problems);
  const continuousBufferMs = input.continuousBufferDuration === undefined ? null : durationOrProblem(input.continuousBufferDuration, "continuousBufferDuration", site, subject, problems);
  const retentionMs = parseRetention(input.retention, windows, site, subject, problems);
  return problems.length > before ? null : { bucketFor, anchor, calendar, backfillSchedule, continuousBufferMs, retentionMs };
}

/** `retention`: how long buckets are kept, at least the largest window. */
function parseRetention(text: string | undefined, windows: readonly { text: string; ms: number }[], site: Site | null, subject: string, problems: Problem[]): number | null {
  if (text === undefined) return null;
  const ms = durationOrProblem(text, "retention", site, subject, problems);
  if (ms === null) return null;
  const largest = windows.reduce((a, w) => (w.ms > a.ms ? w : a), windows[0] ?? { text: "", ms: 0 });
  if (!Number.isFinite(ms)) {
    problems.push(problem("bad-duration", `retention of ${subject} must be a finite duration`, site, { subject, hint: 'write a duration such as "90d"; without retention, buckets are kept for the largest window' }));
    return null;
  }
  if (ms < largest.ms) {
    problems.push(problem("bad-duration", `retention "${text}" of ${subject} is shorter than its window "${largest.text}"`, site, { subject, hint: `buckets are always kept for the largest window; write a retention of at least "${largest.text}", or remove it` }));
    return null;
  }
  return ms;
}

function parseAnchor(text: string | undefined, site: Site | null, subject: string, problems: Problem[]): number {
  if (text === undefined) return 0;
  try {
    return parseInstant(text);
  } catch (error) {
    if (!(error instanceof InstantError)) throw error;
    problems.push(problem("bad-bucket", `invalid bucketStart ${JSON.stringify(text)} in ${subject}: ${error.reason}`, site, { subject, hint: error.hint }));
    return 0;
  }
}

function parseBackfillSchedule(text: string | undefined, site: Site | null, subject: string, problems: Problem[]): MaterializationModel["backfillSchedule"] {
  if (text === undefined) return null;
  try {
    return { text, schedule: parseSchedule(text) };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    problems.push(problem("bad-schedule", `invalid backfillSchedule ${JSON.stringify(text)} in ${subject}: ${error.reason}`, site, { subject, hint: error.hint }));
    return null;
  }
}
