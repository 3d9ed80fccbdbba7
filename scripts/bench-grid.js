#!/usr/bin/env node
// `node scripts/bench-grid.js` (after `npm run build`): the cost of finding a row's bucket,
// per call, on the fixed grid and on a zone's calendar (SPEC 1.2 bucketTimeZone), as ingest
// and backfill call it once per row and size. Timings live here, never in `npm test`.
import { bucketGrid } from "../dist/time/bucket-grid.js";
import { bucketStart } from "../dist/time/buckets.js";
import { ZoneDays } from "../dist/time/zone-days.js";

const DAY = 86_400_000;
const N = 5_000_000;
const START = Date.UTC(2020, 0, 1);

/** ns per call of `grid.start(t)` over N times from `timeAt(i)`; the first run warms up. */
function measure(grid, timeAt) {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += grid.start(timeAt(i));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += grid.start(timeAt(i));
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (sink === 42) console.log("");
  return ns;
}

// A stream in time order: one row every 15 s over about two years.
const inOrder = (i) => START + i * 15_000;
// Late and shuffled rows: any time within three years.
const shuffled = (i) => START + ((i * 2_654_435_761) % (3 * 365 * DAY));
const baseline = measure({ start: (t) => t }, inOrder);

const rows = [];
for (const [name, grid] of [
  ["bucketStart(t, 1d) (before grids)", { start: (t) => bucketStart(t, DAY, 0) }],
  ["1d fixed (epoch)", bucketGrid(DAY, 0)],
  ["1h in Asia/Kolkata (fixed)", bucketGrid(3_600_000, 0, { zone: "Asia/Kolkata", weekStart: 1 })],
  ["1d America/New_York", bucketGrid(DAY, 0, { zone: "America/New_York", weekStart: 1 })],
  ["1w America/New_York", bucketGrid(7 * DAY, 0, { zone: "America/New_York", weekStart: 1 })],
  ["1d Australia/Lord_Howe", bucketGrid(DAY, 0, { zone: "Australia/Lord_Howe", weekStart: 1 })],
]) {
  rows.push({ grid: name, "in order (ns/row)": +(measure(grid, inOrder) - baseline).toFixed(1), "shuffled (ns/row)": +(measure(grid, shuffled) - baseline).toFixed(1) });
}
console.table(rows);

// The memo's cold cost: one local day's first instant from Intl.
const days = new ZoneDays("Europe/Berlin");
const t0 = process.hrtime.bigint();
for (let d = 0; d < 3650; d++) days.dayStart(18_000 + d);
console.log(`first instant of a local day, computed once per zone and day: ${(Number(process.hrtime.bigint() - t0) / 3650 / 1000).toFixed(1)} µs`);
