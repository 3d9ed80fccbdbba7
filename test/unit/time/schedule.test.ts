import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ScheduleError, describeSchedule, isDue, nextRun, parseSchedule } from "../../../src/time/schedule.js";
import type { Schedule } from "../../../src/time/schedule.js";

const T = Date.UTC(2024, 2, 1, 10, 0, 0); // 2024-03-01T10:00:00Z, a Friday
const MIN = 60_000;
const HOUR = 60 * MIN;

function errorOf(text: string): ScheduleError {
  try {
    parseSchedule(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ScheduleError);
    return error as ScheduleError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseSchedule", () => {
  it("reads 5-field cron and durations", () => {
    expect(parseSchedule("0 * * * *")).toEqual({ kind: "cron", expression: "0 * * * *" });
    expect(parseSchedule("  */15   2 * *  MON-FRI ")).toEqual({ kind: "cron", expression: "*/15 2 * * MON-FRI" });
    expect(parseSchedule("1h")).toEqual({ kind: "every", everyMs: HOUR });
    expect(parseSchedule("1h30m")).toEqual({ kind: "every", everyMs: 90 * MIN });
    expect(parseSchedule("@daily")).toEqual({ kind: "cron", expression: "@daily" });
    expect(parseSchedule("@Hourly")).toEqual({ kind: "cron", expression: "@hourly" });
    expect(Object.isFrozen(parseSchedule("1h"))).toBe(true);
  });

  it("rejects 6-field (seconds) cron with a hint showing the 5-field form", () => {
    const error = errorOf("0 0 * * * *");
    expect(error.reason).toBe("6 fields: seconds are not supported");
    expect(error.hint).toMatch(/^Drop the first \(seconds\) field: "0 \* \* \* \*"/);
    expect(errorOf("@secondly").reason).toMatch(/unknown macro/);
  });

  it("rejects wrong field counts, bad values and hashed fields", () => {
    expect(errorOf("* * * *").reason).toBe("a cron expression has 5 fields, this has 4");
    expect(errorOf("0 0 1 1 * 2024 x").reason).toMatch(/has 5 fields, this has 7/);
    expect(errorOf("61 * * * *").reason).toMatch(/^bad cron expression: .*61/);
    expect(errorOf("0 0 30 2 *").reason).toMatch(/^bad cron expression/);
    expect(errorOf("*/0 * * * *").reason).toMatch(/^bad cron expression/);
    expect(errorOf("H * * * *").reason).toMatch(/hashed/);
    expect(errorOf("0 H/2 * * *").reason).toMatch(/hashed/);
    expect(parseSchedule("0 0 * * THU").kind).toBe("cron");
    expect(errorOf("@reboot").reason).toMatch(/unknown macro/);
  });

  it("rejects bad durations with the duration's reason", () => {
    expect(errorOf("1.5h").reason).toBe('not a cron expression, and as a duration: decimals are not allowed; write "1h30m"');
    expect(errorOf("hourly").reason).toMatch(/as a duration/);
    expect(errorOf("0").reason).toMatch(/has no unit/);
    expect(errorOf("all").reason).toMatch(/not a schedule/);
    expect(errorOf("").reason).toMatch(/empty/);
  });

  it("never throws anything but ScheduleError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9*\/,\- A-Za-z@]{0,20}$/)), (text) => {
        try {
          parseSchedule(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ScheduleError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("nextRun", () => {
  const hourly = parseSchedule("0 * * * *");
  const every1h = parseSchedule("1h");

  it("is strictly after the given time, in UTC", () => {
    expect(nextRun(hourly, T)).toBe(T + HOUR);
    expect(nextRun(hourly, T - 1)).toBe(T);
    expect(nextRun(hourly, T + 1)).toBe(T + HOUR);
    expect(nextRun(hourly, T + 500)).toBe(T + HOUR);
    expect(nextRun(parseSchedule("30 2 * * *"), T)).toBe(Date.UTC(2024, 2, 2, 2, 30));
    expect(nextRun(parseSchedule("0 0 * * MON"), T)).toBe(Date.UTC(2024, 2, 4));
    expect(nextRun(parseSchedule("0 0 29 2 *"), T)).toBe(Date.UTC(2028, 1, 29));
  });

  it("durations fire at multiples since the epoch, not after the last run", () => {
    expect(nextRun(every1h, T)).toBe(T + HOUR);
    expect(nextRun(every1h, T - 1)).toBe(T);
    expect(nextRun(every1h, T + 5 * MIN)).toBe(T + HOUR);
    expect(nextRun(parseSchedule("1d"), T)).toBe(Date.UTC(2024, 2, 2));
  });

  it("agrees for cron and duration forms of the same schedule", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (after) => {
        const a = nextRun(hourly, after);
        expect(a).toBe(nextRun(every1h, after));
        expect(a > after && a - after <= HOUR).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("isDue", () => {
  const hourly = parseSchedule("0 * * * *");

  it("is due when a scheduled instant lies in (lastRun, now]", () => {
    expect(isDue(hourly, T - 30 * MIN, T)).toBe(true); // 10:00 in (09:30, 10:00]
    expect(isDue(hourly, T, T + 59 * MIN)).toBe(false); // nothing in (10:00, 10:59]
    expect(isDue(hourly, T, T + HOUR)).toBe(true);
    expect(isDue(hourly, T - 1, T - 1)).toBe(false);
    expect(isDue(hourly, T + 5 * MIN, T + 10 * MIN)).toBe(false);
  });

  it("a schedule that never ran is due", () => {
    expect(isDue(hourly, null, T + 5 * MIN)).toBe(true);
    expect(isDue(parseSchedule("@yearly"), null, T)).toBe(true);
  });

  it("a run that started late (a backfill was still running) does not skip the next slot", () => {
    const every: Schedule = parseSchedule("1h");
    // The 10:00 run started at 10:40; 11:00 is still due at 11:00.
    expect(isDue(every, T + 40 * MIN, T + HOUR)).toBe(true);
    expect(isDue(every, T + 40 * MIN, T + HOUR - 1)).toBe(false);
  });

  it("missed slots collapse into one due run", () => {
    expect(isDue(hourly, T - 10 * HOUR, T)).toBe(true);
    expect(isDue(hourly, T, T)).toBe(false);
  });
});

describe("describeSchedule", () => {
  it("names the kind and the time zone", () => {
    expect(describeSchedule(parseSchedule("90m"))).toBe("every 1h30m");
    expect(describeSchedule(parseSchedule("0 * * * *"))).toBe("cron 0 * * * * (UTC)");
  });
});
