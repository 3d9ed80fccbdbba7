import { DAY_MS, HOUR_MS } from "./duration.js";

/**
 * The local calendar of one IANA time zone, from the platform's zone data (ICU through
 * `Intl`, full-icu in Node 20): which local date an instant falls on, and the first instant
 * of each local date. Local dates are numbered as days since 1970-01-01.
 *
 * The first instant of a date is not always its 00:00: where the clock jumps at midnight
 * (America/Santiago) the day starts at 01:00, and a date the zone skipped (Pacific/Apia,
 * 2011-12-30) starts where the next one does, so it holds no instant. Day starts are
 * memoized: one costs a few dozen `Intl` calls the first time, a Map read after.
 */
export class ZoneDays {
  private readonly starts = new Map<number, number>();
  private readonly parts: Intl.DateTimeFormat;

  constructor(readonly zone: string) {
    this.parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** The local date (days since 1970-01-01) holding `t`: the last date whose first instant is at or before it. */
  localDay(t: number): number {
    const utcDay = Math.floor(t / DAY_MS);
    // |offset| < 18 h, so the local date is one of three; dates start in ascending order.
    for (let d = utcDay + 1; d >= utcDay - 1; d--) if (this.dayStart(d) <= t) return d;
    let d = utcDay - 2;
    while (this.dayStart(d) > t) d--;
    return d;
  }

  /** The first instant whose local date is `day` or later (days since 1970-01-01). */
  dayStart(day: number): number {
    let start = this.starts.get(day);
    if (start === undefined) this.starts.set(day, (start = this.computeDayStart(day)));
    return start;
  }

  /** UTC offset at `t` in ms (local wall time minus UTC), to the second. */
  offset(t: number): number {
    const second = Math.floor(t / 1000) * 1000;
    const f: Record<string, string> = {};
    for (const p of this.parts.formatToParts(second)) f[p.type] = p.value;
    let year = Number(f.year);
    if (f.era === "BC" || f.era === "B") year = 1 - year;
    const wall = new Date(0);
    wall.setUTCFullYear(year, Number(f.month) - 1, Number(f.day));
    wall.setUTCHours(Number(f.hour), Number(f.minute), Number(f.second), 0);
    return wall.getTime() - second;
  }

  /**
   * The least instant t with `t + offset(t) >= day * DAY_MS`. Around that wall time the
   * offset is piecewise constant: the pieces are found by sampling every 3 hours over the
   * 36 hours that can hold the answer and bisecting (to the second) where two
   * samples differ; in a piece `[a, b)` with offset o the first such t is `max(a, W - o)`.
   */
  private computeDayStart(day: number): number {
    const wall = day * DAY_MS;
    const to = wall + 18 * HOUR_MS;
    let best = Infinity;
    let a = wall - 18 * HOUR_MS;
    let o = this.offset(a);
    for (let end = a + STEP; ; end = Math.min(end + STEP, to)) {
      // Every change up to `end`, one at a time (a change and its undoing within one step are not seen).
      while (this.offset(end) !== o) {
        const b = this.firstChange(a, end, o);
        best = Math.min(best, firstReaching(a, b, o, wall));
        a = b;
        o = this.offset(b);
      }
      if (end >= to) return Math.min(best, firstReaching(a, Infinity, o, wall));
    }
  }

  /** The first whole second in (a, b] where the offset is no longer `o` (it is not at b); zone rules change on whole seconds. */
  private firstChange(a: number, b: number, o: number): number {
    let lo = Math.floor(a / 1000);
    let hi = Math.floor(b / 1000);
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.offset(mid * 1000) === o) lo = mid;
      else hi = mid;
    }
    return hi * 1000;
  }
}

const STEP = 3 * HOUR_MS;

/** In the piece `[a, b)` with offset o: the first instant whose wall time reaches `wall`, or Infinity. */
function firstReaching(a: number, b: number, o: number, wall: number): number {
  const t = Math.max(a, wall - o);
  return t < b ? t : Infinity;
}

const calendars = new Map<string, ZoneDays>();

/** The memoized calendar of `zone` (an IANA name `Intl` accepts; throws RangeError otherwise). */
export function zoneDays(zone: string): ZoneDays {
  let days = calendars.get(zone);
  if (days === undefined) calendars.set(zone, (days = new ZoneDays(zone)));
  return days;
}

/**
 * `t` as local time in `zone`, ISO-8601 with its offset: `2024-03-10T00:00:00-05:00`
 * (seconds of the offset only where the zone had them, as in local mean time).
 */
export function formatLocalTime(t: number, zone: string): string {
  const offset = zoneDays(zone).offset(t);
  const wall = new Date(t + offset).toISOString().replace(/\.000Z$|Z$/, "");
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset) / 1000;
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, "0");
  const ss = abs % 60 === 0 ? "" : `:${String(abs % 60).padStart(2, "0")}`;
  return `${wall}${sign}${hh}:${mm}${ss}`;
}
