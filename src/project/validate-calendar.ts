import type { Site } from "../dsl/site.js";
import { WEEKDAYS } from "../dsl/windowed.js";
import { closestName } from "../closest-name.js";
import type { BucketCalendar } from "../time/bucket-grid.js";
import { problem, type Problem } from "./problem.js";

/**
 * `bucketTimeZone` and `weekStart` of a materialization (SPEC 1.2), or null when no zone
 * is declared. An unknown zone is a problem with the closest name `Intl` knows; a zone
 * together with `bucketStart`, or a `weekStart` without a zone, is refused: both would
 * leave it unclear where a day starts.
 */
export function parseCalendar(
  input: { readonly bucketTimeZone?: unknown; readonly weekStart?: unknown; readonly bucketStart?: unknown },
  site: Site | null,
  subject: string,
  problems: Problem[],
): BucketCalendar | null {
  const { bucketTimeZone: zone, weekStart } = input;
  if (zone === undefined) {
    if (weekStart !== undefined) {
      problems.push(problem("bad-bucket", `weekStart of ${subject} needs a bucketTimeZone`, site, { subject, hint: 'weeks start on a local date: add bucketTimeZone (e.g. "UTC" or "America/New_York"), or remove weekStart' }));
    }
    return null;
  }
  if (typeof zone !== "string" || !isTimeZone(zone)) {
    const near = typeof zone === "string" ? closestName(zone, zoneNames()) : undefined;
    problems.push(
      problem("bad-bucket", `unknown bucketTimeZone ${JSON.stringify(zone)} in ${subject}${near === undefined ? "" : `; did you mean "${near}"?`}`, site, {
        subject,
        hint: 'write an IANA time zone name such as "America/New_York", "Europe/Berlin" or "UTC" (Intl.supportedValuesOf("timeZone") lists them)',
      }),
    );
    return null;
  }
  if (input.bucketStart !== undefined) {
    problems.push(
      problem("bad-bucket", `${subject} sets both bucketStart and bucketTimeZone`, site, {
        subject,
        hint: "with bucketTimeZone, daily buckets start at local midnight and sub-day buckets stay on the epoch grid; remove bucketStart (or remove bucketTimeZone to keep a fixed anchor)",
      }),
    );
    return null;
  }
  if (weekStart === undefined) return { zone, weekStart: 1 };
  const day = WEEKDAYS.findIndex((d) => typeof weekStart === "string" && d.toLowerCase() === weekStart.toLowerCase());
  if (day === -1) {
    const near = typeof weekStart === "string" ? closestName(weekStart, WEEKDAYS) : undefined;
    problems.push(
      problem("bad-bucket", `invalid weekStart ${JSON.stringify(weekStart)} in ${subject}${near === undefined ? "" : `; did you mean "${near}"?`}`, site, { subject, hint: `write one of ${WEEKDAYS.join(", ")}` }),
    );
    return null;
  }
  return { zone, weekStart: day + 1 };
}

/** Whether the platform's zone data (ICU) knows `name`, an IANA zone or link such as "UTC". */
export function isTimeZone(name: string): boolean {
  if (name.trim() === "" || name !== name.trim()) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function zoneNames(): string[] {
  return [...Intl.supportedValuesOf("timeZone"), "UTC", "Asia/Kolkata", "Europe/Kyiv", "America/Nuuk", "Asia/Ho_Chi_Minh", "Asia/Kathmandu", "Asia/Yangon", "Pacific/Kanton"];
}
