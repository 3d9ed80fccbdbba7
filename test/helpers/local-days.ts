/**
 * Local days computed without agg's code, for time-zone tests: the first instant of a local
 * date found by a brute-force scan, minute by minute, of what `Intl` says the local date
 * is. Checked again against the system's tz database through GNU `date` where it exists
 * (two independent sources of zone rules: ICU inside Node, and /usr/share/zoneinfo).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const MINUTE = 60_000;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The local date of `t` in `zone`, "YYYY-MM-DD". */
export function localDate(t: number, zone: string): string {
  let f = formats.get(zone);
  if (f === undefined) formats.set(zone, (f = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })));
  return f.format(t);
}

/** The next calendar date after "YYYY-MM-DD". */
export function nextDate(date: string, days = 1): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const starts = new Map<string, number>();

/**
 * The first instant whose local date in `zone` is `date` or later: scans every minute from
 * 18 hours before that date's UTC midnight (zone rules change on whole minutes in the
 * zones tested).
 */
export function firstInstantOf(date: string, zone: string): number {
  const key = `${zone} ${date}`;
  const known = starts.get(key);
  if (known !== undefined) return known;
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  for (let t = utcMidnight - 18 * 60 * MINUTE; t <= utcMidnight + 18 * 60 * MINUTE; t += MINUTE) {
    if (localDate(t, zone) >= date) {
      starts.set(key, t);
      return t;
    }
  }
  throw new Error(`no instant of ${date} in ${zone} within 18 hours of UTC midnight`);
}

/** The local-day bucket `[start, end)` of event time `t`: from its local date's first instant to the next date's. */
export function localDayBucket(t: number, zone: string): { start: number; end: number; date: string } {
  let date = localDate(t, zone);
  // The first instant of a date is where the date begins; an instant before it (a clock
  // set back past midnight) belongs to the date that began earlier.
  while (firstInstantOf(date, zone) > t) date = nextDate(date, -1);
  let next = nextDate(date);
  while (firstInstantOf(next, zone) <= t) [date, next] = [next, nextDate(next)];
  return { start: firstInstantOf(date, zone), end: firstInstantOf(next, zone), date };
}

/**
 * Local dates of instants by the system's tz database (`TZ=zone date`), or null when GNU
 * date or /usr/share/zoneinfo is not there.
 */
export function systemLocalDates(instants: readonly number[], zone: string): string[] | null {
  if (!existsSync(`/usr/share/zoneinfo/${zone}`)) return null;
  const input = instants.map((t) => `@${Math.floor(t / 1000)}`).join("\n");
  const result = spawnSync("date", ["-f", "-", "+%Y-%m-%d"], { input, encoding: "utf8", env: { ...process.env, TZ: zone } });
  if (result.status !== 0 || result.stdout === undefined) return null;
  const lines = result.stdout.trim().split("\n");
  return lines.length === instants.length ? lines : null;
}
