import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  alignDown,
  alignUp,
  bucketCount,
  bucketEnd,
  bucketStart,
  bucketsOverlapping,
  isAligned,
} from "../../../src/time/buckets.js";
import { DAY_MS, HOUR_MS, UNBOUNDED_MS } from "../../../src/time/duration.js";

// The reference instant of these tests: 2024-03-01T10:00:00Z, a bucket edge for 1h and 10m.
const T = Date.UTC(2024, 2, 1, 10, 0, 0);
const MIDNIGHT = Date.UTC(2024, 2, 1);

describe("bucketStart / bucketEnd", () => {
  it("floors to the bucket holding t", () => {
    expect(bucketStart(T, DAY_MS)).toBe(MIDNIGHT);
    expect(bucketStart(MIDNIGHT, DAY_MS)).toBe(MIDNIGHT);
    expect(bucketStart(MIDNIGHT - 1, DAY_MS)).toBe(MIDNIGHT - DAY_MS);
    expect(bucketEnd(T, DAY_MS)).toBe(MIDNIGHT + DAY_MS);
    expect(bucketEnd(MIDNIGHT, DAY_MS)).toBe(MIDNIGHT + DAY_MS);
  });

  it("floors toward -infinity for negative times", () => {
    expect(bucketStart(-1, 60)).toBe(-60);
    expect(bucketStart(-60, 60)).toBe(-60);
    expect(bucketStart(-61, 60)).toBe(-120);
    expect(Object.is(bucketStart(0, 60), 0)).toBe(true);
  });

  it("honours an anchor, also for times before it and anchors in the future", () => {
    const anchor = Date.UTC(2024, 2, 1, 0, 0, 0) - 2 * HOUR_MS; // local midnight at UTC+2
    expect(bucketStart(T, DAY_MS, anchor)).toBe(anchor);
    expect(bucketStart(anchor - 1, DAY_MS, anchor)).toBe(anchor - DAY_MS);
    const future = Date.UTC(2030, 0, 1, 0, 7);
    expect(bucketStart(T, HOUR_MS, future)).toBe(Date.UTC(2024, 2, 1, 9, 7));
    expect(bucketStart(future, HOUR_MS, future)).toBe(future);
  });

  it("keeps bucketStart(t) <= t < bucketStart(t) + size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e15, max: 1e15 }),
        fc.integer({ min: 1, max: UNBOUNDED_MS }),
        fc.integer({ min: -1e15, max: 1e15 }),
        (t, size, anchor) => {
          const s = bucketStart(t, size, anchor);
          expect(s <= t && t < s + size).toBe(true);
          expect((s - anchor) % size === 0).toBe(true);
          expect(bucketStart(s, size, anchor)).toBe(s);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("rejects sizes that are not positive integers", () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => bucketStart(T, size)).toThrow(RangeError);
  });
});

describe("bucketsOverlapping (SPEC 5.3: e > T - W and s <= T)", () => {
  it("reads one more bucket than an aligned window is long", () => {
    // Window 1d at midnight: [prev midnight, midnight) ends after T - W; [midnight, ...) starts at T.
    expect(bucketsOverlapping(MIDNIGHT - DAY_MS, MIDNIGHT, DAY_MS)).toEqual({
      first: MIDNIGHT - DAY_MS,
      last: MIDNIGHT,
      count: 2,
    });
  });

  it("excludes the bucket ending exactly at T - W and includes the one starting exactly at T", () => {
    const range = bucketsOverlapping(T - 3 * HOUR_MS, T, HOUR_MS);
    expect(range.first).toBe(T - 3 * HOUR_MS); // [T-3h, T-2h) has e > T-W; [T-4h, T-3h) does not
    expect(range.last).toBe(T); // [T, T+1h) has s <= T
    expect(range.count).toBe(4);
  });

  it("handles unaligned edges", () => {
    const range = bucketsOverlapping(T - 90 * 60_000 + 1, T + 1, HOUR_MS);
    expect(range).toEqual({ first: T - 2 * HOUR_MS, last: T, count: 3 });
  });

  it("a bucket longer than the window", () => {
    expect(bucketsOverlapping(T - HOUR_MS, T, DAY_MS)).toEqual({ first: MIDNIGHT, last: MIDNIGHT, count: 1 });
  });

  it("works before the epoch and the anchor", () => {
    expect(bucketsOverlapping(-150, -10, 60, 30)).toEqual({ first: -150, last: -30, count: 3 });
  });

  it("an empty window reads nothing", () => {
    expect(bucketsOverlapping(T, T, HOUR_MS).count).toBe(0);
    expect(bucketsOverlapping(T + 1, T, HOUR_MS).count).toBe(0);
  });

  it("matches a brute-force scan", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: -500, max: 500 }),
        (end, window, size, anchor) => {
          const start = end - window;
          const expected: number[] = [];
          for (let s = bucketStart(start - 2 * size, size, anchor); s <= end + size; s += size) {
            if (s + size > start && s <= end) expected.push(s);
          }
          const range = bucketsOverlapping(start, end, size, anchor);
          expect(range.count).toBe(expected.length);
          expect(range.first).toBe(expected[0]);
          expect(range.last).toBe(expected[expected.length - 1]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("alignDown / alignUp / isAligned", () => {
  it("keeps aligned values and widens others to bucket edges", () => {
    expect(alignDown(T + 1, HOUR_MS)).toBe(T);
    expect(alignUp(T + 1, HOUR_MS)).toBe(T + HOUR_MS);
    expect(alignDown(T, HOUR_MS)).toBe(T);
    expect(alignUp(T, HOUR_MS)).toBe(T);
    expect(alignUp(-1, 60)).toBe(0);
    expect(alignDown(-1, 60)).toBe(-60);
    expect(isAligned(T, HOUR_MS)).toBe(true);
    expect(isAligned(T, HOUR_MS, 1)).toBe(false);
  });

  it("alignDown(t) <= t <= alignUp(t), at most one bucket apart", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), fc.integer({ min: 1, max: 1e9 }), (t, size) => {
        const down = alignDown(t, size);
        const up = alignUp(t, size);
        expect(down <= t && t <= up).toBe(true);
        expect(up - down === 0 || up - down === size).toBe(true);
      }),
    );
  });
});

describe("bucketCount", () => {
  it("counts bucket lengths in a window, rounding up", () => {
    expect(bucketCount(30 * DAY_MS, DAY_MS)).toBe(30);
    expect(bucketCount(DAY_MS, 10 * 60_000)).toBe(144);
    expect(bucketCount(90 * 60_000, HOUR_MS)).toBe(2);
    expect(bucketCount(HOUR_MS, DAY_MS)).toBe(1);
    expect(bucketCount(UNBOUNDED_MS, DAY_MS)).toBe(36_500);
    expect(bucketCount(UNBOUNDED_MS, HOUR_MS)).toBe(876_000);
  });
});
