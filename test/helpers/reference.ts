/**
 * Independent reference computations for tests: which raw events a query's buckets
 * cover (SPEC 5.3's any-overlap rule), and plain aggregations over them. Written from the
 * SPEC, not from agg's modules, so the tests compare two implementations.
 */
export const DAY = 86_400_000;

/**
 * Events whose bucket [s, s+b) overlaps the window (T-W, T] (s + b > T - W and s <= T),
 * as of T: no event after T ever counts (SPEC 5.3).
 */
export function inOverlappingBuckets<E extends { ts: string | number }>(events: readonly E[], at: number, windowMs: number, bucketMs: number, anchor = 0): E[] {
  return events.filter((e) => {
    const t = typeof e.ts === "number" ? e.ts : Date.parse(e.ts);
    const s = anchor + Math.floor((t - anchor) / bucketMs) * bucketMs;
    return s + bucketMs > at - windowMs && s <= at && t <= at;
  });
}

/** Events with event time in (T-W, T] exactly (the row-log semantics). */
export function inWindow<E extends { ts: string }>(events: readonly E[], at: number, windowMs: number): E[] {
  return events.filter((e) => {
    const t = Date.parse(e.ts);
    return t > at - windowMs && t <= at;
  });
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : sum(values) / values.length;
}

/** Sample variance by the two-pass formula. */
export function variance(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = sum(values) / values.length;
  return sum(values.map((v) => (v - m) ** 2)) / (values.length - 1);
}

/** The values at the ranks around q(n-1): a sketch answer must be near one of them. */
export function quantileBounds(values: readonly number[], q: number): [number, number] | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  return [sorted[Math.floor(rank)]!, sorted[Math.ceil(rank)]!];
}

/** Relative closeness for floating-point results that went through different summation orders. */
export function closeTo(actual: unknown, expected: number | null, relative = 1e-12): boolean {
  if (expected === null) return actual === null;
  if (typeof actual !== "number") return false;
  return Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected));
}
