import { describe, expect, it } from "vitest";
import { bucketGrid, FixedGrid } from "../../../src/time/bucket-grid.js";
import { bucketStart, bucketsOverlapping } from "../../../src/time/buckets.js";
import { firstInstantOf, localDate, localDayBucket, nextDate, systemLocalDates } from "../../helpers/local-days.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const grid = (zone: string, days = 1, weekStart = 1) => bucketGrid(days * DAY, 0, { zone, weekStart });

// Dates whose local day is not 24 hours long, or starts at another time than 00:00, and
// ordinary ones around them. Hours: how long the local day lasts.
const CASES: [zone: string, date: string, hours: number, why: string][] = [
  ["America/New_York", "2024-03-10", 23, "spring forward at 02:00"],
  ["America/New_York", "2024-03-11", 24, "the day after"],
  ["America/New_York", "2024-11-03", 25, "fall back at 02:00"],
  ["America/Santiago", "2019-04-06", 25, "clocks go back at 24:00 to 23:00"],
  ["America/Santiago", "2019-04-07", 24, "starts at 00:00 -04"],
  ["America/Santiago", "2019-09-08", 23, "clocks jump at midnight: the day starts at 01:00"],
  ["Australia/Lord_Howe", "2024-04-07", 24.5, "a 30-minute shift back"],
  ["Australia/Lord_Howe", "2024-10-06", 23.5, "a 30-minute shift forward"],
  ["Asia/Kolkata", "2024-03-10", 24, "+05:30, no daylight saving"],
  ["America/Caracas", "2007-12-09", 24.5, "historical change from -04:00 to -04:30"],
  ["America/Caracas", "2016-05-01", 23.5, "and back to -04:00"],
  ["Europe/Moscow", "2014-10-26", 25, "historical permanent change from +04:00 to +03:00"],
  ["Pacific/Apia", "2011-12-29", 24, "the day before Samoa skipped 2011-12-30"],
];

describe("calendar grid: local-day boundaries against an independent scan", () => {
  it.each(CASES)("%s %s (%s h: %s)", (zone, date, hours) => {
    const start = firstInstantOf(date, zone);
    // Apia skipped 2011-12-30: the day after the 29th is the 31st.
    const next = localDate(firstInstantOf(nextDate(date), zone), zone) === nextDate(date) ? nextDate(date) : nextDate(date, 2);
    const end = firstInstantOf(next, zone);
    expect((end - start) / HOUR).toBe(hours);
    const g = grid(zone);
    for (const t of [start, start + 1, start + HOUR, (start + end) / 2, end - 1]) {
      expect(g.start(t), new Date(t).toISOString()).toBe(start);
      expect(g.end(t)).toBe(end);
    }
    expect(g.start(end)).toBe(end);
    expect(g.prev(end)).toBe(start);
    expect(g.alignDown(start + 1)).toBe(start);
    expect(g.alignUp(start + 1)).toBe(end);
    expect(g.alignUp(start)).toBe(start);
    // The system's tz database agrees: the instant is on the date, the minute before is not.
    const system = systemLocalDates([start - 60_000, start, end - 60_000, end], zone);
    if (system !== null) expect(system).toEqual([localDate(start - 60_000, zone), date, date, next]);
  });

  it("Santiago's 2019-09-08 starts at 01:00 local and Apia's 2011-12-30 holds no instant", () => {
    const santiago = grid("America/Santiago").start(Date.parse("2019-09-08T12:00:00Z"));
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: "America/Santiago", hour: "2-digit", minute: "2-digit" }).format(santiago)).toBe("01:00");
    const apia = grid("Pacific/Apia");
    const day29 = apia.start(Date.parse("2011-12-29T12:00:00Z"));
    expect(localDate(apia.end(day29), "Pacific/Apia")).toBe("2011-12-31");
  });

  it("random instants over years, in every zone tested, fall in the bucket of their local date", () => {
    let seed = 17;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const zone of new Set(CASES.map((c) => c[0]))) {
      const g = grid(zone);
      for (let i = 0; i < 40; i++) {
        const t = Date.parse("2005-01-01T00:00:00Z") + Math.floor(random() * 20 * 365 * DAY);
        const expected = localDayBucket(t, zone);
        expect([g.start(t), g.end(t)], `${zone} ${new Date(t).toISOString()}`).toEqual([expected.start, expected.end]);
      }
    }
  });
});

describe("weeks and multi-day sizes", () => {
  const weekday = (t: number, zone: string) => new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "long" }).format(t);

  it.each([
    [1, "Monday"],
    [7, "Sunday"],
    [3, "Wednesday"],
  ])("7d buckets start on weekStart %i (%s) at local midnight, across the spring-forward week", (weekStart, name) => {
    const zone = "America/New_York";
    const g = grid(zone, 7, weekStart);
    for (let t = Date.parse("2024-03-01T00:00:00Z"); t < Date.parse("2024-03-25T00:00:00Z"); t += 7 * HOUR) {
      const start = g.start(t);
      const end = g.end(t);
      expect(weekday(start, zone)).toBe(name);
      expect(start).toBe(firstInstantOf(localDate(start, zone), zone));
      expect(end).toBe(firstInstantOf(nextDate(localDate(start, zone), 7), zone));
      expect(start <= t && t < end).toBe(true);
    }
    // The week holding 2024-03-10 lasts 7 days less an hour.
    const week = g.start(Date.parse("2024-03-10T12:00:00Z"));
    expect(g.end(week) - week).toBe(7 * DAY - HOUR);
  });

  it("2d buckets pair local dates counted from 1970-01-01", () => {
    const zone = "Asia/Kolkata";
    const g = grid(zone, 2);
    const t = Date.parse("2024-03-10T12:00:00Z");
    const date = localDate(t, zone);
    const days = (Date.parse(`${date}T00:00:00Z`) / DAY) % 2;
    const first = nextDate(date, -days);
    expect([g.start(t), g.end(t)]).toEqual([firstInstantOf(first, zone), firstInstantOf(nextDate(first, 2), zone)]);
  });

  it("sub-day sizes stay fixed on the epoch grid, whatever the zone", () => {
    const g = bucketGrid(HOUR, 0, { zone: "Asia/Kolkata", weekStart: 1 });
    expect(g).toBeInstanceOf(FixedGrid);
    expect(g.zone).toBeNull();
    const t = Date.parse("2024-03-10T05:17:00Z");
    expect(g.start(t)).toBe(Date.parse("2024-03-10T05:00:00Z"));
  });
});

describe("any-overlap with buckets of varying length", () => {
  it("a window's overlapping buckets are those an independent scan finds, also across 23 h and 25 h days", () => {
    const zone = "America/New_York";
    const g = grid(zone);
    for (let at = Date.parse("2024-11-01T00:00:00Z"); at < Date.parse("2024-11-06T00:00:00Z"); at += 97 * 60_000) {
      for (const window of [DAY, 2 * DAY, 3 * DAY]) {
        const range = g.overlapping(at - window, at);
        // Independent: step back bucket by bucket from T's local day while the bucket ends after T - W.
        const buckets = [localDayBucket(at, zone)];
        while (true) {
          const before = localDayBucket(buckets[0]!.start - 1, zone);
          if (before.end <= at - window) break;
          buckets.unshift(before);
        }
        expect(range.first).toBe(buckets[0]!.start);
        expect(range.last).toBe(buckets.at(-1)!.start);
        expect(range.count).toBe(buckets.length);
        // A window of N days touches at most N + 2 local days (N + 1 with days of 24 h).
        expect(range.count).toBeLessThanOrEqual(window / DAY + 2);
      }
    }
  });
});

describe("fixed grid", () => {
  it("is bucketStart and bucketsOverlapping exactly", () => {
    for (const [size, anchor] of [[HOUR, 0], [DAY, Date.UTC(2024, 0, 1, 6)], [7 * DAY, 0], [10 * 60_000, 123]] as const) {
      const g = bucketGrid(size, anchor);
      for (let t = -3 * DAY + 17; t < 3 * DAY; t += 5 * HOUR + 7) {
        expect(g.start(t)).toBe(bucketStart(t, size, anchor));
        expect(g.end(t)).toBe(bucketStart(t, size, anchor) + size);
        expect(g.overlapping(t - DAY, t)).toEqual(bucketsOverlapping(t - DAY, t, size, anchor));
      }
    }
  });
});

describe("backfill chunks on a calendar grid", () => {
  it("cut a range of local days into chunks at local midnights, covering it once, newest first", async () => {
    const { chunks } = await import("../../../src/backfill/run-backfill.js");
    const zone = "America/New_York";
    const lower = firstInstantOf("2024-03-01", zone);
    const upper = firstInstantOf("2024-03-21", zone);
    const out = chunks({ range: { lower, upper }, rows: 1000, size: { bucketMs: DAY }, grid: grid(zone) }, 150);
    // 20 days, 150 of 1000 rows per chunk: 3 days per chunk.
    expect(out.length).toBe(7);
    expect(out[0]![1]).toBe(upper);
    expect(out.at(-1)![0]).toBe(lower);
    for (let i = 0; i < out.length; i++) {
      const [from, to] = out[i]!;
      expect(from).toBe(firstInstantOf(localDate(from, zone), zone));
      expect(to).toBe(firstInstantOf(localDate(to, zone), zone));
      if (i > 0) expect(to).toBe(out[i - 1]![0]);
    }
  });
});
