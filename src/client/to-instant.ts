import { AggError } from "../errors.js";
import { InstantError, parseInstant } from "../time/instant.js";

/** A time as a Node program gives it: a Date, epoch milliseconds, or text as `--at` takes it (ISO-8601 or epoch seconds). */
export type Instant = Date | number | string;

/**
 * Epoch ms of `value`, or the reason it is not a time. Numbers are epoch milliseconds, as
 * `Date.now()` gives them (unlike `--at`, whose bare numbers are epoch seconds, written as
 * text here: `"1709287200"`); fractions of a millisecond are floored.
 */
export function instantMs(value: unknown): number | string {
  if (value instanceof Date) return inRange(value.getTime());
  if (typeof value === "number") return inRange(Math.floor(value));
  if (typeof value === "string") {
    try {
      return parseInstant(value);
    } catch (error) {
      if (error instanceof InstantError) return error.message;
      throw error;
    }
  }
  return `expected a Date, epoch milliseconds or an ISO-8601 string, got ${value === null ? "null" : typeof value}`;
}

function inRange(ms: number): number | string {
  return Number.isSafeInteger(ms) ? ms : "not a valid time (NaN, Infinity, or beyond any date)";
}

/** `instantMs` for an option: a usage error that names it. */
export function optionInstant(name: string, value: Instant): number {
  const ms = instantMs(value);
  if (typeof ms === "string") throw new AggError("usage", `${name}: ${ms}`, { hint: "pass a Date, epoch milliseconds (Date.now()), or an ISO-8601 string with a zone such as \"2024-03-01T12:00:00Z\"" });
  return ms;
}
