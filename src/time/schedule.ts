/**
 * Backfill schedules (SPEC 1.2, 5.2): a 5-field cron expression or a duration.
 *
 * - Cron is evaluated in UTC, so a schedule means the same on every machine.
 * - A duration `d` fires at every multiple of `d` since the Unix epoch ("1h" at the top
 *   of each UTC hour, "1d" at 00:00 UTC), not `d` after the last run: a late run does
 *   not push the next one back, and `isDue` is one rule for both kinds.
 * - A schedule that never ran is due at once.
 */
import { TextParseError } from "../text-parse-error.js";
import { CronExpressionParser } from "cron-parser";
import { DurationError, formatDuration, parseDuration } from "./duration.js";
import { bucketStart } from "./buckets.js";

export type Schedule =
  | { readonly kind: "cron"; readonly expression: string }
  | { readonly kind: "every"; readonly everyMs: number };

const CRON_HINT = 'Write 5 fields "minute hour day-of-month month day-of-week" (evaluated in UTC), e.g. "0 * * * *" for hourly, or a duration such as "1h".';
// cron-parser's macros at minute precision or coarser ("@secondly" would need seconds).
const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);
// Hashed fields ("H", "H/5") would pick a random minute per process; we want a fixed one.
const HASHED = /(?:^|,)H(?![a-z])/i;

/** A schedule that does not parse. Not an AggError: the caller knows the file:line. */
export class ScheduleError extends TextParseError {
  override readonly name = "ScheduleError";

  constructor(input: string, reason: string, hint = CRON_HINT) {
    super("schedule", input, reason, hint);
  }
}

/**
 * Parses a `backfillSchedule`.
 * @example parseSchedule("0 * * * *") // { kind: "cron", expression: "0 * * * *" }
 * @example parseSchedule("1h") // { kind: "every", everyMs: 3_600_000 }
 */
export function parseSchedule(text: string): Schedule {
  if (typeof text !== "string") throw new ScheduleError(String(text), `expected a string, got ${typeof text}`);
  const trimmed = text.trim();
  if (trimmed === "") throw new ScheduleError(text, "a schedule cannot be empty");
  const fields = trimmed.split(/\s+/);
  if (trimmed.startsWith("@")) return parseMacro(text, trimmed);
  if (fields.length === 1) return parseEvery(text, trimmed);
  if (fields.length === 6) {
    throw new ScheduleError(text, "6 fields: seconds are not supported", `Drop the first (seconds) field: ${JSON.stringify(fields.slice(1).join(" "))}. ${CRON_HINT}`);
  }
  if (fields.length !== 5) throw new ScheduleError(text, `a cron expression has 5 fields, this has ${fields.length}`);
  if (fields.some((f) => HASHED.test(f))) throw new ScheduleError(text, 'hashed fields ("H") are not supported; write a fixed value');
  const expression = fields.join(" ");
  try {
    CronExpressionParser.parse(expression, { tz: "UTC", currentDate: 0 }).next();
  } catch (error) {
    throw new ScheduleError(text, `bad cron expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Object.freeze({ kind: "cron", expression });
}

function parseMacro(input: string, trimmed: string): Schedule {
  const macro = trimmed.toLowerCase();
  if (!MACROS.has(macro)) {
    throw new ScheduleError(input, `unknown macro ${JSON.stringify(trimmed)}; allowed are ${[...MACROS].join(", ")}`);
  }
  return Object.freeze({ kind: "cron", expression: macro });
}

function parseEvery(input: string, trimmed: string): Schedule {
  if (/^(all|infinity)$/i.test(trimmed)) {
    throw new ScheduleError(input, `${JSON.stringify(trimmed)} is a window length, not a schedule`);
  }
  try {
    return Object.freeze({ kind: "every", everyMs: parseDuration(trimmed) });
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    throw new ScheduleError(input, `not a cron expression, and as a duration: ${error.reason}`, `${error.hint} Or write a 5-field cron expression such as "0 * * * *".`);
  }
}

/** The first scheduled instant strictly after `afterMs`. */
export function nextRun(schedule: Schedule, afterMs: number): number {
  if (schedule.kind === "every") return bucketStart(afterMs, schedule.everyMs) + schedule.everyMs;
  try {
    const next = CronExpressionParser.parse(schedule.expression, { tz: "UTC", currentDate: afterMs }).next().getTime();
    // cron-parser works in whole seconds; keep "strictly after" exact for odd ms inputs.
    return next > afterMs ? next : nextRun(schedule, afterMs + 1000);
  } catch (error) {
    throw new ScheduleError(schedule.expression, `no next run after ${new Date(afterMs).toISOString()}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Due when a scheduled instant lies in `(lastRunMs, nowMs]`; a schedule that never ran
 * (`lastRunMs === null`) is always due.
 */
export function isDue(schedule: Schedule, lastRunMs: number | null, nowMs: number): boolean {
  if (lastRunMs === null) return true;
  return nextRun(schedule, lastRunMs) <= nowMs;
}

/** For tables and logs: `"every 1h"`, `"cron 0 * * * * (UTC)"`. */
export function describeSchedule(schedule: Schedule): string {
  return schedule.kind === "every" ? `every ${formatDuration(schedule.everyMs)}` : `cron ${schedule.expression} (UTC)`;
}
