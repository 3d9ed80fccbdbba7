import { describe, expect, it } from "vitest";
import { planBackfill, planSpan, type RangeRequest } from "../../../src/backfill/plan-backfill.js";
import type { RowSource } from "../../../src/backfill/row-source.js";
import { chunks } from "../../../src/backfill/run-backfill.js";
import type { SizeRecord } from "../../../src/store/size-state.js";
import type { CompiledSeries } from "../../../src/series/compiled-series.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 2, 1);

/** A source holding rows at `times`; counts are what a plan must report. */
function source(times: number[]): RowSource {
  return {
    name: "test",
    namespace: "txn",
    bounds: () => (times.length ? { min: Math.min(...times), max: Math.max(...times) } : null),
    count: (from, to) => times.filter((t) => t >= from && t < to).length,
    range: () => [],
    timesAndData: () => [],
    close: () => {},
  };
}

/** Just what planning reads of a compiled series: id, namespace, anchor, sizes with signatures. */
function series(id: number, anchor: number, sizes: number[]): CompiledSeries {
  return { id, def: { namespace: "txn", anchor }, sizes: sizes.map((bucketMs) => ({ bucketMs, retentionMs: 30 * DAY, signature: `sig${bucketMs}` })) } as unknown as CompiledSeries;
}

const times = [T0 + 5 * HOUR + 7 * MIN, T0 + 2 * DAY + 13 * HOUR, T0 + 3 * DAY + 23 * HOUR + 59 * MIN];
const plan = (request: RangeRequest, stored = new Map<string, SizeRecord>(), anchor = 0) =>
  planBackfill([series(1, anchor, [HOUR, DAY])], () => source(times), stored, request).map((i) => ({ bucket: i.size.bucketMs, range: i.range, rows: i.rows }));

describe("planBackfill", () => {
  it("defaults to all data: lower aligned down, upper aligned up past the newest row", () => {
    expect(plan({ kind: "bounds" })).toEqual([
      { bucket: HOUR, range: { lower: T0 + 5 * HOUR, upper: T0 + 4 * DAY }, rows: 3 },
      { bucket: DAY, range: { lower: T0, upper: T0 + 4 * DAY }, rows: 3 },
    ]);
  });

  it("aligns explicit bounds per bucket size, and counts the rows inside", () => {
    const request: RangeRequest = { kind: "bounds", lower: T0 + 5 * HOUR + 30 * MIN, upper: T0 + 2 * DAY + 13 * HOUR };
    expect(plan(request)).toEqual([
      { bucket: HOUR, range: { lower: T0 + 5 * HOUR, upper: T0 + 2 * DAY + 13 * HOUR }, rows: 1 },
      { bucket: DAY, range: { lower: T0, upper: T0 + 3 * DAY }, rows: 2 },
    ]);
  });

  it("aligns to the series' anchor", () => {
    const anchor = Date.UTC(2024, 0, 1, 6);
    expect(plan({ kind: "bounds" }, new Map(), anchor)[1]).toMatchObject({ range: { lower: T0 - DAY + 6 * HOUR, upper: T0 + 4 * DAY + 6 * HOUR } });
  });

  it("carries the size's filled part, and whether the range starts at the oldest row", () => {
    const stored = new Map<string, SizeRecord>([["1:86400000", { layout: "sig86400000", filledFrom: T0 + 3 * DAY, reason: "new" }]]);
    const items = planBackfill([series(1, 0, [HOUR, DAY])], () => source(times), stored, { kind: "bounds" });
    expect(items.map((i) => [i.size.bucketMs, i.filledFrom, i.fromOldest])).toEqual([
      [HOUR, undefined, true],
      [DAY, T0 + 3 * DAY, true],
    ]);
    expect(planBackfill([series(1, 0, [HOUR])], () => source(times), stored, { kind: "bounds", lower: T0 })[0]!.fromOldest).toBe(false);
  });

  it("a scheduled run fills all data up to the bucket boundary at or before now", () => {
    expect(plan({ kind: "scheduled", now: T0 + 2 * DAY + 13 * HOUR + 20 * MIN })).toEqual([
      { bucket: HOUR, range: { lower: T0 + 5 * HOUR, upper: T0 + 2 * DAY + 13 * HOUR }, rows: 1 },
      { bucket: DAY, range: { lower: T0, upper: T0 + 2 * DAY }, rows: 1 },
    ]);
  });

  it("nothing to read: no data and no bounds, or an empty range", () => {
    const empty = planBackfill([series(1, 0, [HOUR])], () => source([]), new Map(), { kind: "bounds" });
    expect(empty.map((i) => [i.range, i.rows])).toEqual([[null, 0]]);
    expect(plan({ kind: "bounds", upper: T0 })).toEqual([
      { bucket: HOUR, range: null, rows: 0 },
      { bucket: DAY, range: null, rows: 0 },
    ]);
    expect(planSpan(empty)).toEqual({ lower: null, upper: null });
  });

  it("planSpan is the smallest lower and the largest upper", () => {
    const items = planBackfill([series(1, 0, [HOUR, DAY])], () => source(times), new Map(), { kind: "bounds" });
    expect(planSpan(items)).toEqual({ lower: T0, upper: T0 + 4 * DAY });
  });
});

describe("chunks", () => {
  const item = (rows: number, lower: number, upper: number) => ({ range: { lower, upper }, rows, size: { bucketMs: HOUR } }) as Parameters<typeof chunks>[0];

  it("one chunk when the rows fit", () => {
    expect(chunks(item(10, T0, T0 + DAY), 10)).toEqual([[T0, T0 + DAY]]);
  });

  it("bucket-aligned chunks covering the range exactly once, newest first", () => {
    const out = chunks(item(100, T0, T0 + 10 * HOUR), 30);
    expect(out).toEqual([
      [T0 + 7 * HOUR, T0 + 10 * HOUR],
      [T0 + 4 * HOUR, T0 + 7 * HOUR],
      [T0 + 1 * HOUR, T0 + 4 * HOUR],
      [T0, T0 + 1 * HOUR],
    ]);
  });

  it("at least one bucket per chunk, however dense the rows", () => {
    expect(chunks(item(1_000_000, T0, T0 + 3 * HOUR), 10)).toEqual([
      [T0 + 2 * HOUR, T0 + 3 * HOUR],
      [T0 + HOUR, T0 + 2 * HOUR],
      [T0, T0 + HOUR],
    ]);
  });
});
