import type { BucketRange } from "./buckets.js";
import { DAY_MS, WEEK_MS } from "./duration.js";
import { zoneDays, type ZoneDays } from "./zone-days.js";

/** `bucketTimeZone` and `weekStart` of a materialization (SPEC 1.2). */
export interface BucketCalendar {
  /** An IANA zone name, as declared. */
  readonly zone: string;
  /** ISO weekday weekly buckets start on: 1 Monday ... 7 Sunday. */
  readonly weekStart: number;
}

/**
 * The buckets of one size of a series: half-open `[s, e)` ranges that tile the time line.
 * On a fixed grid every bucket lasts `bucketMs`; on a calendar grid (whole-day sizes in a
 * time zone) a bucket runs from the first instant of a local date to the first instant of
 * the date N days later, so it may last 23, 24 or 25 hours. All times are epoch ms.
 */
export interface BucketGrid {
  /** The declared size (the nominal length of a bucket). */
  readonly bucketMs: number;
  /** The zone whose local dates the buckets follow; null on a fixed grid. */
  readonly zone: string | null;
  /** Equal keys: the same buckets. */
  readonly key: string;
  /** Any two bucket boundaries lie a whole multiple of this apart: the size, or a second on a calendar. */
  readonly slotMs: number;
  /** Start of the bucket holding `t`. */
  start(t: number): number;
  /** Exclusive end of the bucket holding `t` (for a bucket start: that bucket's end). */
  end(t: number): number;
  /** Start of the bucket before the one holding `t`. */
  prev(t: number): number;
  /** Largest bucket boundary <= t. */
  alignDown(t: number): number;
  /** Smallest bucket boundary >= t. */
  alignUp(t: number): number;
  /**
   * The buckets a window `(from, to]` merges (SPEC 5.3): every `[s, e)` with `e > from`
   * and `s <= to`; `count` may include buckets of no length (dates a zone skipped).
   */
  overlapping(from: number, to: number): BucketRange;
}

/** Buckets of exactly `bucketMs` from `anchor` (the epoch by default), before it too. */
export class FixedGrid implements BucketGrid {
  readonly zone = null;
  readonly key: string;
  readonly slotMs: number;

  constructor(
    readonly bucketMs: number,
    readonly anchor = 0,
  ) {
    if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw new RangeError(`bucket size must be a positive integer of ms, got ${bucketMs}`);
    this.key = `fixed:${bucketMs}:${anchor}`;
    this.slotMs = bucketMs;
  }

  start(t: number): number {
    // `%` on integers is exact, where Math.floor(x / size) can round up near 2^53.
    const offset = (t - this.anchor) % this.bucketMs;
    return offset < 0 ? t - offset - this.bucketMs : t - offset;
  }

  end(t: number): number {
    return this.start(t) + this.bucketMs;
  }

  prev(t: number): number {
    return this.start(t) - this.bucketMs;
  }

  alignDown(t: number): number {
    return this.start(t);
  }

  alignUp(t: number): number {
    const start = this.start(t);
    return start === t ? t : start + this.bucketMs;
  }

  overlapping(from: number, to: number): BucketRange {
    const first = this.start(from);
    if (from >= to) return { first, last: first - this.bucketMs, count: 0 };
    const last = this.start(to);
    return { first, last, count: (last - first) / this.bucketMs + 1 };
  }
}

/**
 * Buckets of `days` local dates in a zone: bucket k holds the dates `phase + k*days` to
 * `phase + (k+1)*days - 1` (dates as days since 1970-01-01). Weekly multiples take the
 * phase of `weekStart`; other sizes count from 1970-01-01. The bucket last returned is
 * kept, so a stream in time order costs two comparisons per row.
 */
export class CalendarGrid implements BucketGrid {
  readonly bucketMs: number;
  readonly key: string;
  /** Zone rules change on whole seconds, so every local day starts on one. */
  readonly slotMs = 1000;
  private readonly days: ZoneDays;
  private lastStart = 0;
  private lastEnd = 0;

  constructor(
    private readonly dayCount: number,
    private readonly phase: number,
    readonly zone: string,
  ) {
    this.bucketMs = dayCount * DAY_MS;
    this.days = zoneDays(zone);
    this.key = `calendar:${zone}:${dayCount}:${phase}`;
  }

  start(t: number): number {
    if (t >= this.lastStart && t < this.lastEnd) return this.lastStart;
    const first = this.firstDayOf(this.days.localDay(t));
    this.lastStart = this.days.dayStart(first);
    this.lastEnd = this.days.dayStart(first + this.dayCount);
    return this.lastStart;
  }

  end(t: number): number {
    this.start(t);
    return this.lastEnd;
  }

  prev(t: number): number {
    return this.start(this.start(t) - 1);
  }

  alignDown(t: number): number {
    return this.start(t);
  }

  alignUp(t: number): number {
    const start = this.start(t);
    return start === t ? t : this.lastEnd;
  }

  overlapping(from: number, to: number): BucketRange {
    const first = this.start(from);
    if (from >= to) return { first, last: this.prev(first), count: 0 };
    const last = this.start(to);
    const index = (t: number): number => Math.floor((this.days.localDay(t) - this.phase) / this.dayCount);
    return { first, last, count: index(last) - index(first) + 1 };
  }

  /** The first date of the bucket holding local date `day`. */
  private firstDayOf(day: number): number {
    const k = Math.floor((day - this.phase) / this.dayCount);
    return this.phase + k * this.dayCount;
  }
}

/** 1970-01-01 was a Thursday (ISO weekday 4). */
const EPOCH_WEEKDAY = 4;

/** Whether a size follows the local calendar when the series has a zone: whole days. */
export function isCalendarSize(bucketMs: number): boolean {
  return bucketMs % DAY_MS === 0;
}

const grids = new Map<string, BucketGrid>();

/**
 * The grid of a size: on the local calendar for whole-day sizes of a series with a
 * `bucketTimeZone`, fixed (from `anchor`) otherwise. Grids are shared by key, so a zone's
 * day starts are computed once per process.
 */
export function bucketGrid(bucketMs: number, anchor = 0, calendar: BucketCalendar | null = null): BucketGrid {
  const weekly = bucketMs % WEEK_MS === 0;
  const key = calendar === null || !isCalendarSize(bucketMs) ? `f${bucketMs}:${anchor}` : `c${bucketMs}:${calendar.zone}:${weekly ? calendar.weekStart : 0}`;
  let grid = grids.get(key);
  if (grid === undefined) {
    grid =
      calendar === null || !isCalendarSize(bucketMs)
        ? new FixedGrid(bucketMs, anchor)
        : new CalendarGrid(bucketMs / DAY_MS, weekly ? (((calendar.weekStart - EPOCH_WEEKDAY) % 7) + 7) % 7 : 0, calendar.zone);
    grids.set(key, grid);
  }
  return grid;
}

/** The grid of one size of a series (or of anything that records an anchor and a calendar). */
export function gridOf(series: { readonly anchor: number; readonly calendar?: BucketCalendar | null }, bucketMs: number): BucketGrid {
  return bucketGrid(bucketMs, series.anchor, series.calendar ?? null);
}
