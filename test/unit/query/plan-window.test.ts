import { describe, expect, it } from "vitest";
import { planRowWindow, planSize as planSizeOf, planWindow, type SizeFacts, type WindowPlan } from "../../../src/query/plan-window.js";
import { bucketStart } from "../../../src/time/buckets.js";
import { firstMs, lastMs, type Span } from "../../../src/query/span.js";
import { prng } from "../../helpers/events.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 2, 1); // 2024-03-01T00:00:00Z, a day boundary
const at = (h: number, m = 0) => T0 + h * HOUR + m * MIN;

/** A size filled from the beginning whose buckets hold nothing after T, unless `facts` says otherwise. */
function planSize(at: number, bucketMs: number, anchor: number, bufferMs: number | null, m: number | null, facts: Partial<SizeFacts> = {}) {
  return planSizeOf(at, { bucketMs, anchor, bufferMs, materializedThrough: m === null && bufferMs === null ? at + 1 : m, trustedFrom: -Infinity, newestEvent: null, unfoldedFrom: null, ...facts });
}

function span(from: number, to: number, bounds: Span["bounds"]): Span {
  return { from, to, bounds };
}

describe("planWindow without a continuous buffer", () => {
  it("reads every bucket that overlaps (T - W, T], the one holding T included", () => {
    const p = planWindow(planSize(at(12), DAY, 0, null, null), DAY);
    expect(p.mode).toBe("buckets");
    expect(p.window).toEqual(span(at(-12), at(12), "(]"));
    expect(p.buckets).toEqual(span(T0 - DAY, T0 + DAY, "[)"));
    expect(p.rows).toBeNull();
    expect(p.uncovered).toBeNull();
  });

  it("at an exact boundary T the bucket starting at T - W still overlaps (its end is after T - W)", () => {
    const p = planWindow(planSize(T0, DAY, 0, null, null), DAY);
    // (T0 - 1d, T0]: bucket [T0 - 1d, T0) ends after T - W; [T0, T0 + 1d) starts at T.
    expect(p.buckets).toEqual(span(T0 - DAY, T0 + DAY, "[)"));
    const justBefore = planWindow(planSize(T0 - 1, DAY, 0, null, null), DAY);
    expect(justBefore.buckets).toEqual(span(T0 - 2 * DAY, T0, "[)"));
  });

  it("uses the anchor, also for times before it", () => {
    const anchor = Date.UTC(2024, 0, 1, 6);
    const p = planWindow(planSize(at(5), DAY, anchor, null, null), 3 * DAY);
    expect(p.buckets).toEqual(span(at(6) - 4 * DAY, at(6), "[)"));
  });

  it("a window that is not a whole number of buckets still reads whole buckets", () => {
    const p = planWindow(planSize(at(12, 5), HOUR, 0, null, null), 90 * MIN);
    expect(p.buckets).toEqual(span(at(10), at(13), "[)"));
  });
});

describe("planWindow with a continuous buffer (SPEC 5.3)", () => {
  const C = 2 * HOUR;
  const B = 10 * MIN;

  it("C < T - M: buckets ending by M, the row log over (T - C, T], the gap between is uncovered", () => {
    const p = planWindow(planSize(at(12), B, 0, C, at(8)), DAY);
    expect(p.mode).toBe("buffer-gap");
    expect(p.buckets).toEqual(span(at(-12), at(8), "[)"));
    expect(p.rows).toEqual(span(at(10), at(12), "(]"));
    expect(p.uncovered).toEqual(span(at(8), at(10), "[]"));
  });

  it("C < T - M with M inside a bucket: that bucket is not read and its part is uncovered", () => {
    const p = planWindow(planSize(at(12), B, 0, C, at(8, 5)), DAY);
    expect(p.buckets).toEqual(span(at(-12), at(8), "[)"));
    expect(p.uncovered).toEqual(span(at(8), at(10), "[]"));
  });

  it("C >= T - M: buckets before the last filled one, the row log from its start to T", () => {
    const p = planWindow(planSize(at(12), B, 0, C, at(11)), DAY);
    expect(p.mode).toBe("buffer");
    // The last filled bucket holds M - 1: [10:50, 11:00). It comes from the row log.
    expect(p.buckets).toEqual(span(at(-12), at(10, 50), "[)"));
    expect(p.rows).toEqual(span(at(10, 50), at(12), "[]"));
    expect(p.uncovered).toBeNull();
  });

  it("C exactly T - M is the second case", () => {
    expect(planSize(at(12), B, 0, C, at(10)).mode).toBe("buffer");
    expect(planSize(at(12), B, 0, C, at(10) - 1).mode).toBe("buffer-gap");
  });

  it("M after T, nothing after T in the buckets: buckets only, as far as T's bucket", () => {
    const p = planWindow(planSize(at(12), B, 0, C, at(13)), HOUR);
    expect(p.buckets).toEqual(span(at(11), at(12, 10), "[)"));
    expect(p.rows).toBeNull();
  });

  it("nothing ever folded (no M): every bucket slot from the row log, up to T", () => {
    const p = planWindow(planSize(at(12), B, 0, C, null), HOUR);
    expect(p.mode).toBe("unmaterialized");
    expect(p.buckets).toBeNull();
    expect(p.history).toEqual(span(at(11), at(12) + 1, "[)"));
    expect(p.rows).toBeNull();
  });

  it("slots before the filled part come from the row log, the rest from buckets", () => {
    const p = planWindow(planSize(at(12), HOUR, 0, null, null, { trustedFrom: at(9) }), 6 * HOUR);
    expect(p.history).toEqual(span(at(6), at(9), "[)"));
    expect(p.buckets).toEqual(span(at(9), at(13), "[)"));
  });

  it("as of a past T: the bucket holding T comes from the row log up to T, never its later rows", () => {
    const p = planWindow(planSize(at(12, 30), HOUR, 0, null, null, { newestEvent: at(20) }), 3 * HOUR);
    expect(p.buckets).toEqual(span(at(9), at(12), "[)"));
    expect(p.rows).toEqual(span(at(12), at(12, 30), "[]"));
  });

  it("as of a past T with a buffer and M after T: the same", () => {
    const p = planWindow(planSize(at(12, 30), HOUR, 0, 2 * HOUR, at(20), { newestEvent: at(20) - 1 }), 3 * HOUR);
    expect(p.buckets).toEqual(span(at(9), at(12), "[)"));
    expect(p.rows).toEqual(span(at(12), at(12, 30), "[]"));
  });

  it("a window shorter than the buffer reads the row log from the window's first bucket", () => {
    const p = planWindow(planSize(at(12, 5), B, 0, C, at(6)), HOUR);
    expect(p.buckets).toBeNull();
    expect(p.rows).toEqual(span(at(11), at(12, 5), "[]"));
    expect(p.uncovered).toBeNull();
  });
});

describe("planRowWindow", () => {
  it("reads exactly (T - W, T] from the row log", () => {
    const p = planRowWindow(at(12), HOUR);
    expect(p).toMatchObject({ mode: "row-log", cut: at(11) + 1, buckets: null, rows: span(at(11), at(12), "(]") });
  });
});

/** Every ms from the first bucket to T lies in exactly one of: history, buckets, rows, uncovered. */
function partitions(p: WindowPlan, at: number): void {
  const parts = [p.history, p.buckets, p.rows, p.uncovered].filter((s): s is Span => s !== null).map((s) => [firstMs(s), lastMs(s)] as const);
  parts.sort((a, b) => a[0] - b[0]);
  expect(parts[0]![0]).toBe(p.cut);
  for (let i = 1; i < parts.length; i++) expect(parts[i]![0]).toBe(parts[i - 1]![1] + 1);
  expect(parts.at(-1)![1]).toBeGreaterThanOrEqual(at);
  if (p.rows !== null) expect(lastMs(p.rows)).toBe(at);
}

describe("planWindow partitions the window", () => {
  it("buckets, row log and the uncovered span never overlap and leave no hole (random cases)", () => {
    const random = prng(7);
    const sizes = [MIN, 10 * MIN, HOUR, DAY];
    for (let i = 0; i < 1000; i++) {
      const B = sizes[Math.floor(random() * sizes.length)]!;
      const W = B * (1 + Math.floor(random() * 5)) + (random() < 0.3 ? Math.floor(random() * B) : 0);
      const T = T0 + Math.floor(random() * 3 * DAY);
      const anchor = random() < 0.5 ? 0 : Math.floor(random() * B);
      const C = random() < 0.2 ? null : Math.floor(random() * 3 * W) + 1;
      const M = random() < 0.1 ? null : T - Math.floor(random() * 4 * W) + Math.floor(random() * B);
      const trustedFrom = random() < 0.3 ? Infinity : random() < 0.5 ? -Infinity : bucketStart(T - Math.floor((random() * 2 * W) / B) * B, B, anchor);
      const newestEvent = random() < 0.5 ? null : T + Math.floor((random() - 0.5) * 2 * W);
      const unfoldedFrom = random() < 0.7 ? null : T - Math.floor(random() * 2 * W);
      const p = planWindow(planSizeOf(T, { bucketMs: B, anchor, bufferMs: C, materializedThrough: M === null ? M : unfoldedFrom === null ? M : Math.min(M, unfoldedFrom), trustedFrom, newestEvent, unfoldedFrom }), W);
      partitions(p, T);
      // Nothing after T is ever read.
      for (const part of [p.history, p.buckets, p.rows]) if (part !== null && part !== p.buckets) expect(lastMs(part)).toBeLessThanOrEqual(T);
      if (p.buckets !== null && newestEvent !== null && newestEvent > T) expect(p.buckets.to).toBeLessThanOrEqual(T + 1);
    }
  });
});
