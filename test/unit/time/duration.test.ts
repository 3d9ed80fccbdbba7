import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  DAY_MS,
  DurationError,
  HOUR_MS,
  MINUTE_MS,
  UNBOUNDED_MS,
  WEEK_MS,
  formatDuration,
  isUnbounded,
  parseDuration,
} from "../../../src/time/duration.js";

function reasonOf(text: string): string {
  try {
    parseDuration(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DurationError);
    return (error as DurationError).reason;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseDuration", () => {
  it.each([
    ["1h30m", 90 * MINUTE_MS],
    ["1w 2d", WEEK_MS + 2 * DAY_MS],
    ["1w2d3h4m5s6ms", WEEK_MS + 2 * DAY_MS + 3 * HOUR_MS + 4 * MINUTE_MS + 5_006],
    ["90s", 90_000],
    ["250ms", 250],
    ["1d", DAY_MS],
    ["  7d ", 7 * DAY_MS],
    ["1 h 30 m", 90 * MINUTE_MS],
    ["1m1ms", MINUTE_MS + 1],
    ["1h0m", HOUR_MS],
    ["36500d", UNBOUNDED_MS],
  ])("%s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["all", "ALL", "Infinity", "infinity", " all "])("%s is unbounded", (text) => {
    expect(parseDuration(text)).toBe(UNBOUNDED_MS);
    expect(isUnbounded(parseDuration(text))).toBe(true);
  });

  it("suggests the exact whole-number form for decimals", () => {
    expect(reasonOf("1.5h")).toBe('decimals are not allowed; write "1h30m"');
    expect(reasonOf("0.5d")).toBe('decimals are not allowed; write "12h"');
    expect(reasonOf("1.5s")).toBe('decimals are not allowed; write "1s500ms"');
    expect(reasonOf("0.1h")).toBe('decimals are not allowed; write "6m"');
    expect(reasonOf("0.0001ms")).toBe("decimals are not allowed; use whole numbers of a smaller unit");
  });

  it("says what a message should say: the input, what is wrong, the fix", () => {
    expect(() => parseDuration("1.5h")).toThrow('invalid duration "1.5h": decimals are not allowed; write "1h30m"');
  });

  it("rejects months and years with a hint to write days", () => {
    expect(reasonOf("1M")).toMatch(/^months are not allowed.*write days/);
    expect(reasonOf("2mo")).toMatch(/^months are not allowed/);
    expect(reasonOf("3 months")).toMatch(/^months are not allowed/);
    expect(reasonOf("1y")).toMatch(/^years are not allowed.*"365d"/);
  });

  it("rejects bare numbers with a hint to add a unit", () => {
    expect(reasonOf("90")).toBe('"90" has no unit; allowed units are w, d, h, m, s, ms');
    expect(reasonOf("1h30")).toMatch(/"30" has no unit/);
    try {
      parseDuration("90");
    } catch (error) {
      expect((error as DurationError).hint).toBe('Add a unit, e.g. "90s" or "90m".');
    }
  });

  it("rejects empty, zero, negative, and too long", () => {
    expect(reasonOf("")).toMatch(/cannot be empty/);
    expect(reasonOf("   ")).toMatch(/cannot be empty/);
    expect(reasonOf("0s")).toMatch(/longer than zero/);
    expect(reasonOf("0h0m")).toMatch(/longer than zero/);
    expect(reasonOf("-1h")).toMatch(/negative/);
    expect(reasonOf("36501d")).toMatch(/write "all"/);
    expect(reasonOf("99999999999999999999999w")).toMatch(/write "all"/);
  });

  it("rejects units out of order or repeated, with the combined form", () => {
    expect(reasonOf("30m1h")).toBe('units must go from largest to smallest, each at most once; write "1h30m"');
    expect(reasonOf("1h1h")).toBe('units must go from largest to smallest, each at most once; write "2h"');
    expect(reasonOf("1d 1w")).toBe('units must go from largest to smallest, each at most once; write "8d"');
  });

  it("rejects spelled-out or upper-case units, with the fix", () => {
    expect(reasonOf("1H")).toBe('unit "H" is not allowed; write "1h"');
    expect(reasonOf("5 min")).toBe('unit "min" is not allowed; write "5m"');
    expect(reasonOf("1 hour 30 minutes")).toBe('unit "hour" is not allowed; write "1h30m"');
    expect(reasonOf("3x")).toBe('unknown unit "x"; allowed units are w, d, h, m, s, ms');
    expect(reasonOf("1.5 hours")).toBe('decimals are not allowed; write "1h30m"');
    expect(reasonOf("30 minutes 1 hour")).toMatch(/largest to smallest.*write "1h30m"/);
    expect(reasonOf("90 Minutes")).toBe('unit "Minutes" is not allowed; write "1h30m"');
  });

  it("rejects garbage", () => {
    for (const text of ["h", "abc", "1h-30m", "1h+", "+1h", "1_000s", "1,5h", "∞"]) {
      expect(() => parseDuration(text), text).toThrow(DurationError);
    }
  });

  it("never throws anything but DurationError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9. a-zA-Z-]{0,12}$/)), (text) => {
        try {
          const ms = parseDuration(text);
          expect(Number.isSafeInteger(ms) && ms > 0 && ms <= UNBOUNDED_MS).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(DurationError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("formatDuration", () => {
  it.each([
    [86_400_000, "1d"],
    [5_400_000, "1h30m"],
    [604_800_000, "1w"],
    [14 * DAY_MS, "2w"],
    [30 * DAY_MS, "30d"],
    [8 * DAY_MS, "8d"],
    [1500, "1s500ms"],
    [1, "1ms"],
    [DAY_MS + 1, "1d1ms"],
    [UNBOUNDED_MS, "all"],
  ])("%d -> %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("rejects non-durations", () => {
    for (const ms of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => formatDuration(ms)).toThrow(RangeError);
  });

  it("round-trips through parseDuration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: UNBOUNDED_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5214 }), (weeks) => {
        expect(parseDuration(formatDuration(weeks * WEEK_MS))).toBe(weeks * WEEK_MS);
      }),
    );
  });
});
