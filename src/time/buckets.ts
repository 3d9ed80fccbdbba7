/**
 * Bucket arithmetic. Buckets of size `size` are the half-open ranges
 * `[anchor + k*size, anchor + (k+1)*size)` for every integer k, so they tile the whole
 * time line, before the anchor too. All values are integer epoch milliseconds.
 */

/** SPEC 1.2: one window may span at most this many buckets. */
export const MAX_BUCKETS_PER_WINDOW = 100_000;

/** The buckets a window reads, as bucket starts: `first`, `first + size`, ..., `last`. */
export interface BucketRange {
  first: number;
  last: number;
  count: number;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`bucket size must be a positive integer of ms, got ${size}`);
}

/**
 * Start of the bucket holding `t`: floors toward -infinity, also for `t < anchor`.
 * @example bucketStart(90, 60) // 60; bucketStart(-1, 60) // -60
 */
export function bucketStart(t: number, size: number, anchor = 0): number {
  checkSize(size);
  // `%` on integers is exact, where Math.floor(x / size) can round up near 2^53.
  const offset = (t - anchor) % size;
  return offset < 0 ? t - offset - size : t - offset;
}

/** Exclusive end of the bucket holding `t`. */
export function bucketEnd(t: number, size: number, anchor = 0): number {
  return bucketStart(t, size, anchor) + size;
}

/**
 * The buckets a query merges for the window `(windowStartExclusive, windowEndInclusive]`
 * (SPEC 5.3): every `[s, e)` with `e > T - W` and `s <= T`. With aligned edges that is
 * one more bucket than the window is long, because the bucket holding T is read too.
 * An empty window (start >= end) gives `count: 0` and `last < first`.
 */
export function bucketsOverlapping(
  windowStartExclusive: number,
  windowEndInclusive: number,
  size: number,
  anchor = 0,
): BucketRange {
  // The first bucket with e > A is the one holding A; the last with s <= T holds T.
  const first = bucketStart(windowStartExclusive, size, anchor);
  if (windowStartExclusive >= windowEndInclusive) return { first, last: first - size, count: 0 };
  const last = bucketStart(windowEndInclusive, size, anchor);
  return { first, last, count: (last - first) / size + 1 };
}

/** Largest bucket boundary <= t (for the lower end of a `[lower, upper)` range). */
export function alignDown(t: number, size: number, anchor = 0): number {
  return bucketStart(t, size, anchor);
}

/** Smallest bucket boundary >= t (for the exclusive upper end of a `[lower, upper)` range). */
export function alignUp(t: number, size: number, anchor = 0): number {
  const start = bucketStart(t, size, anchor);
  return start === t ? t : start + size;
}

/** True when `t` is a bucket boundary. */
export function isAligned(t: number, size: number, anchor = 0): boolean {
  return bucketStart(t, size, anchor) === t;
}

/**
 * How many bucket lengths a window spans: `ceil(window / size)`. This is the number the
 * "at most 100,000 buckets per window" rule counts; a query reads at most one more.
 */
export function bucketCount(windowMs: number, size: number): number {
  checkSize(size);
  return Math.ceil(windowMs / size);
}
