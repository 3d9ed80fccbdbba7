import { features, string, windowed } from "agg";
import { Flight } from "./flight.js";

// Hourly windows on 1h buckets, daily windows on 1d buckets: the buckets ClickHouse's
// materialized views keep per (origin, toStartOfHour) and (origin, toStartOfDay).
const hourlyAndDaily = { bucketDuration: "1h", bucketDurations: { "1d": "1d" } } as const;

/** Per origin airport: what departs from it, by the hour and by the day, and for ever. */
export const Airport = features("airport", {
  id: string().primary(),
  departures: windowed("1h", "1d", { expression: Flight.delay.count(), materialization: hourlyAndDaily, default: 0 }),
  delay_sum: windowed("1h", "1d", { expression: Flight.delay.sum(), materialization: hourlyAndDaily, default: 0 }),
  delay_mean: windowed("1h", "1d", { expression: Flight.delay.mean(), materialization: hourlyAndDaily }),
  delay_max: windowed("1h", "1d", { expression: Flight.delay.max(), materialization: hourlyAndDaily }),
  delayed: windowed("1h", "1d", { expression: Flight.delay.where(Flight.delay.gt(15)).count(), materialization: hourlyAndDaily, default: 0 }),
  // One bucket as long as the window: a single running total per airport.
  distance_total: windowed("all", { expression: Flight.distance.sum(), materialization: true, default: 0 }),
});
