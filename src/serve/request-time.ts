import { InstantError, parseInstant } from "../time/instant.js";
import { HttpError } from "./http-error.js";

/** A request's `now`, as `agg query --at` reads it (ISO-8601 or epoch seconds); a 400 names where it was. */
export function requestTime(text: string, where: string): number {
  try {
    return parseInstant(text);
  } catch (error) {
    if (error instanceof InstantError) throw new HttpError(400, "invalid_time", `${where}: ${error.message}`, error.hint ?? 'write an ISO-8601 time with a zone, e.g. "2024-03-01T12:00:00Z", or epoch seconds as a string');
    throw error;
  }
}
