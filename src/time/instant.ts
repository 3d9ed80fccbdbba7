/**
 * Instants: user-written times (`--at`, `--lower-bound`, `bucketStart`) and event times
 * in ingested rows. Both become integer epoch milliseconds.
 */
import { TextParseError } from "../text-parse-error.js";

const ALLOWED = 'an ISO-8601 time with Z or an offset ("2024-03-01T10:00:00Z", "2024-03-01T12:00+02:00"), a date ("2024-03-01", UTC midnight), or epoch seconds ("1709287200")';

/** Event times outside [1970-01-01, 9999-12-31] are typos or unit mix-ups, not data. */
export const MIN_EVENT_MS = 0;
export const MAX_EVENT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A time that does not parse. Not an AggError: the caller knows the flag or file:line. */
export class InstantError extends TextParseError {
  override readonly name = "InstantError";

  constructor(input: string, reason: string, hint = `Write ${ALLOWED}.`) {
    super("time", input, reason, hint);
  }
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;
const EPOCH_SECONDS = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses an ISO-8601 time or epoch seconds into epoch ms.
 * @example parseInstant("2024-03-01") // 1709251200000
 */
export function parseInstant(text: string): number {
  if (typeof text !== "string") throw new InstantError(String(text), `expected a string, got ${typeof text}`);
  const trimmed = text.trim();
  if (trimmed === "") throw new InstantError(text, `a time cannot be empty; write ${ALLOWED}`);
  const result = EPOCH_SECONDS.test(trimmed) ? parseEpochSeconds(trimmed) : parseIso(trimmed);
  if (typeof result === "string") throw new InstantError(text, result);
  return result;
}

function parseEpochSeconds(text: string): number | string {
  const [, whole = "", frac = ""] = EPOCH_SECONDS.exec(text) ?? [];
  // Build ms from the digits so "1.001" is exactly 1001, not 1000.9999.
  const ms = Number(whole) * 1000 + Number(frac.slice(0, 3).padEnd(3, "0"));
  if (!Number.isSafeInteger(ms) || ms > MAX_EVENT_MS) {
    const hint = whole.length >= 12 ? " (this looks like epoch milliseconds; divide by 1000)" : "";
    return `epoch seconds after 9999-12-31${hint}`;
  }
  return ms;
}

/** ISO-8601 datetime or date to ms, or the reason it is not one (`allowed` says what to write instead). */
function parseIso(text: string, allowed = ALLOWED): number | string {
  const m = ISO.exec(text);
  if (m === null) return `not a recognised time; allowed are ${allowed}`;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12) return `month ${mo} is not 01-12`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${d} does not exist in ${y}-${mo}`;
  if (hour > 23 || minute > 59 || second > 59) return "hour, minute or second out of range";
  const hasTime = h !== undefined;
  if (hasTime && z === undefined && sign === undefined) {
    return 'a date with a time needs a time zone; add "Z" for UTC or an offset like "+02:00"';
  }
  let offsetMin = 0;
  if (sign !== undefined) {
    if (Number(oh) > 23 || Number(om) > 59) return `offset ${sign}${oh}:${om} is out of range`;
    offsetMin = (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  // Date.UTC maps years 0-99 to 19xx; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, Number((frac ?? "").slice(0, 3).padEnd(3, "0"))));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMin * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * ISO-8601 in UTC, without `.000`: `formatInstant(1709287200000)` -> `"2024-03-01T10:00:00Z"`.
 */
export function formatInstant(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a representable time: ${ms}`);
  return date.toISOString().replace(".000Z", "Z");
}

/** How a datetime feature reads numbers: declared with `datetime().epoch(unit)`, or not (null). */
export type EpochUnit = "s" | "ms" | null;

/**
 * Numbers below this (1973-03-03 in epoch ms) are refused as milliseconds unless the
 * feature declares its unit: they are almost always epoch seconds, which read as
 * milliseconds land in January 1970 where no query ever looks.
 */
export const MIN_UNDECLARED_EPOCH_MS = 1e11;

const EVENT_ALLOWED = 'an ISO-8601 time with Z or an offset ("2024-03-01T10:00:00Z"), a date ("2024-03-01", UTC midnight), or epoch milliseconds (1709287200000)';

/**
 * An event time from an ingested row, as epoch ms, or the reason it is rejected (a
 * string, so ingest can report it with the line number).
 *
 * - numbers (and digit strings: a CSV cell reads like its JSON number) are epoch
 *   milliseconds, or seconds with `unit: "s"`. Without a declared unit a number below
 *   MIN_UNDECLARED_EPOCH_MS is refused (it is almost surely seconds). Fractional ms are
 *   floored: bucket edges are whole ms, so flooring never moves an event into another bucket.
 * - other strings: ISO-8601 as in `parseInstant` (a time needs Z or an offset).
 * - `Date` objects.
 * - rejected: NaN, Infinity, other types, and times before 1970-01-01 or after 9999-12-31.
 */
export function parseEventTime(value: unknown, unit: EpochUnit = null): number | string {
  let ms: number;
  if (typeof value === "number" || (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value))) {
    const n = typeof value === "number" ? value : Number(value.trim());
    if (!Number.isFinite(n)) return `event time is ${n}; expected ${EVENT_ALLOWED}`;
    ms = unit === "s" ? Math.round(n * 1000) : Math.floor(n);
    if (unit === null && ms >= MIN_EVENT_MS && ms < MIN_UNDECLARED_EPOCH_MS) {
      return `event time ${n} is a number below ${MIN_UNDECLARED_EPOCH_MS} (read as epoch milliseconds it is ${formatLoose(ms)}): it looks like epoch seconds; send epoch milliseconds or ISO-8601, or declare the unit on the feature: \`datetime().featureTime().epoch("s")\` (or \`.epoch("ms")\` to accept such small millisecond values)`;
    }
  } else if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed === "") return "event time is empty";
    const parsed = parseIso(trimmed, EVENT_ALLOWED);
    if (typeof parsed === "string") return `event time ${JSON.stringify(value)}: ${parsed}`;
    ms = parsed;
  } else if (value instanceof Date) {
    ms = value.getTime();
    if (Number.isNaN(ms)) return "event time is an invalid Date";
  } else {
    const kind = Array.isArray(value) ? "array" : typeof value;
    const got = value === null ? "null" : value === undefined ? "missing" : `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
    return `event time is ${got}; expected ${EVENT_ALLOWED}`;
  }
  if (ms < MIN_EVENT_MS) return `event time ${formatLoose(ms)} is before 1970-01-01`;
  if (ms > MAX_EVENT_MS) return `event time ${formatLoose(ms)} is after 9999-12-31`;
  return ms === 0 ? 0 : ms; // -0 is the epoch: stored and compared as 0
}

function formatLoose(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : `${date.toISOString()} (${ms} ms)`;
}
