import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InstantError, MAX_EVENT_MS, formatInstant, parseEventTime, parseInstant } from "../../../src/time/instant.js";

const T = Date.UTC(2024, 2, 1, 10, 0, 0); // 2024-03-01T10:00:00Z

function reasonOf(text: string): string {
  try {
    parseInstant(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InstantError);
    return (error as InstantError).reason;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseInstant", () => {
  it.each([
    ["2024-03-01T10:00:00Z", T],
    ["2024-03-01T10:00Z", T],
    ["2024-03-01t10:00:00z", T],
    ["2024-03-01 10:00:00Z", T],
    ["2024-03-01T12:00:00+02:00", T],
    ["2024-03-01T12:00:00+0200", T],
    ["2024-03-01T05:30:00-04:30", T],
    ["2024-03-01T10:00:00.250Z", T + 250],
    ["2024-03-01T10:00:00.2509Z", T + 250],
    ["2024-03-01T10:00:00,5Z", T + 500],
    ["2024-03-01", Date.UTC(2024, 2, 1)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["1709287200", T],
    ["1709287200.5", T + 500],
    ["1709287200.001", T + 1],
    ["0", 0],
    [" 2024-03-01T10:00:00Z ", T],
  ])("%s", (text, ms) => {
    expect(parseInstant(text)).toBe(ms);
  });

  it("allows times before the epoch (anchors at local midnight)", () => {
    expect(parseInstant("1970-01-01T00:00:00+02:00")).toBe(-2 * 3_600_000);
    expect(parseInstant("0050-01-01")).toBe(new Date("0050-01-01T00:00:00Z").getTime());
  });

  it("requires a time zone on datetimes", () => {
    expect(reasonOf("2024-03-01T10:00:00")).toMatch(/needs a time zone; add "Z"/);
  });

  it("rejects impossible dates and times", () => {
    expect(reasonOf("2023-02-29")).toMatch(/day 29 does not exist in 2023-02/);
    expect(reasonOf("2024-13-01")).toMatch(/month 13/);
    expect(reasonOf("2024-04-31")).toMatch(/does not exist/);
    expect(reasonOf("2024-03-01T24:00:00Z")).toMatch(/out of range/);
    expect(reasonOf("2024-03-01T10:00:60Z")).toMatch(/out of range/);
    expect(reasonOf("2024-03-01T10:00:00+24:00")).toMatch(/offset/);
  });

  it("explains the allowed formats for garbage", () => {
    expect(reasonOf("yesterday")).toMatch(/not a recognised time; allowed are an ISO-8601 time/);
    expect(reasonOf("")).toMatch(/cannot be empty/);
    for (const text of ["-5", "1e9", "2024/03/01", "March 1 2024", "2024-3-1", "NaN", "Infinity", "0x10"]) {
      expect(() => parseInstant(text), text).toThrow(InstantError);
    }
  });

  it("spots epoch milliseconds passed as seconds", () => {
    expect(reasonOf("1709287200000")).toMatch(/looks like epoch milliseconds/);
  });

  it("never throws anything but InstantError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9T:Z+.\- ]{0,26}$/)), (text) => {
        try {
          expect(Number.isSafeInteger(parseInstant(text))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InstantError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("formatInstant", () => {
  it("prints ISO in UTC without .000", () => {
    expect(formatInstant(T)).toBe("2024-03-01T10:00:00Z");
    expect(formatInstant(T + 250)).toBe("2024-03-01T10:00:00.250Z");
    expect(formatInstant(0)).toBe("1970-01-01T00:00:00Z");
    expect(() => formatInstant(Number.NaN)).toThrow(RangeError);
  });

  it("round-trips through parseInstant", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_EVENT_MS }), (ms) => {
        expect(parseInstant(formatInstant(ms))).toBe(ms);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("parseEventTime", () => {
  it("accepts epoch ms numbers, digit strings, ISO strings and Dates", () => {
    expect(parseEventTime(T)).toBe(T);
    expect(parseEventTime(String(T))).toBe(T);
    expect(parseEventTime("2024-03-01T10:00:00Z")).toBe(T);
    expect(parseEventTime("2024-03-01")).toBe(Date.UTC(2024, 2, 1));
    expect(parseEventTime(new Date(T))).toBe(T);
    expect(parseEventTime(0, "ms")).toBe(0);
    expect(parseEventTime(MAX_EVENT_MS)).toBe(MAX_EVENT_MS);
    expect(parseEventTime(1e11)).toBe(1e11);
  });

  it("refuses numbers below 1e11 unless a unit is declared; seconds with unit s", () => {
    expect(parseEventTime(1e11 - 1)).toMatch(/looks like epoch seconds/);
    expect(parseEventTime(0)).toMatch(/looks like epoch seconds/);
    expect(parseEventTime(1e11 - 1, "ms")).toBe(1e11 - 1);
    expect(parseEventTime(1709287200, "s")).toBe(T);
    expect(parseEventTime(1709287200.0015, "s")).toBe(T + 2);
    expect(parseEventTime("1709287200", "s")).toBe(T);
  });

  it("floors fractional milliseconds", () => {
    expect(parseEventTime(T + 0.9)).toBe(T);
    expect(parseEventTime(`${T}.9`)).toBe(T);
    expect(parseEventTime(0.5, "ms")).toBe(0);
    expect(Object.is(parseEventTime(-0, "ms"), 0)).toBe(true);
    expect(Object.is(parseEventTime(-0.0, "ms"), 0)).toBe(true);
  });

  it("returns a reason for bad values", () => {
    const rejected: unknown[] = [
      Number.NaN, Infinity, -Infinity, -1, MAX_EVENT_MS + 1, 1e300, "", "  ", "soon",
      "2024-03-01T10:00:00", "1969-12-31T23:59:59Z", "-5", null, undefined, true, {}, [], 10n, new Date(Number.NaN),
    ];
    for (const value of rejected) expect(typeof parseEventTime(value), String(value)).toBe("string");
    expect(parseEventTime(-1)).toMatch(/before 1970-01-01/);
    expect(parseEventTime(MAX_EVENT_MS + 1)).toMatch(/after 9999-12-31/);
    expect(parseEventTime(Number.NaN)).toMatch(/event time is NaN/);
    expect(parseEventTime(undefined)).toMatch(/missing/);
    expect(parseEventTime("2024-03-01T10:00:00")).toMatch(/needs a time zone/);
    const allowed = 'expected an ISO-8601 time with Z or an offset ("2024-03-01T10:00:00Z"), a date ("2024-03-01", UTC midnight), or epoch milliseconds (1709287200000)';
    expect(parseEventTime({})).toBe(`event time is an object; ${allowed}`);
    expect(parseEventTime([])).toBe(`event time is an array; ${allowed}`);
    expect(parseEventTime(true)).toBe(`event time is a boolean; ${allowed}`);
    // The row-time wording, not --at's: epoch seconds are not offered.
    expect(parseEventTime("soon")).not.toContain("epoch seconds");
  });

  it("returns an integer in range or a string for anything", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = parseEventTime(value);
        if (typeof result === "number") {
          expect(Number.isSafeInteger(result) && result >= 0 && result <= MAX_EVENT_MS).toBe(true);
        } else expect(typeof result).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });
});
