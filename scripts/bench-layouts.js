#!/usr/bin/env node
// Layout experiments for the bucket side of ingest (issue 13): what SQLite alone costs to
// keep the sample project's buckets under four physical layouts, on the bench's events.
// No row log, no validation, no state arithmetic: fixed 12-byte states, and per batch of
// 50,000 messages the distinct records of each layout, written sorted, then the retention
// deletes. Figures are SQLite's seconds (writes, deletes, commits) and the records written.
//
//   node scripts/bench-layouts.js EVENTS.ndjson [LAYOUT ...]
//   (node scripts/bench.js --keep leaves bench-data/events.ndjson)
//
// bucket  one record per (series, size, group key, bucket start): today's layout
// block   one record per (series, size, group key, block of 16 buckets), read-modify-write
// part    blind appends: one record per (series, size, group key, batch) holding the batch's
//         partial states of that key (ClickHouse's parts; readers merge them)
// part0   as part, but a two-key series is grouped by each side alone (one record per user
//         and one per merchant, each holding the other key's states): the fewest records
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const [file, ...asked] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: node scripts/bench-layouts.js EVENTS.ndjson [bucket|block|part|part0 ...]");
const layouts = asked.length > 0 ? asked : ["bucket", "block", "part", "part0"];
const DAY = 86_400_000;
const HOUR = 3_600_000;
const BATCH = 50_000;
const BLOCK = 16;
const STATE = 12;
// (series, size, retention) of the sample project, as `agg aggregate list` shows them.
const SIZES = [[1, HOUR, DAY], [1, DAY, 30 * DAY], [2, DAY, 30 * DAY], [3, DAY, 30 * DAY], [4, 600_000, DAY]];

const events = readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => {
  const m = JSON.parse(line);
  return { t: Date.parse(m.ts), user: m.user_id, merchant: m.merchant_id, food: m.category === "food" };
});

const SCHEMA = {
  bucket: `CREATE TABLE b (s INTEGER, z INTEGER, k0 TEXT, k1 TEXT, unit INTEGER, state BLOB, crc BLOB, PRIMARY KEY (s, z, k0, k1, unit)) WITHOUT ROWID;
    CREATE INDEX b_k1 ON b (s, z, k1, unit) WHERE k1 <> ''; CREATE INDEX b_time ON b (s, z, (unit + 0));`,
  block: `CREATE TABLE b (s INTEGER, z INTEGER, k0 TEXT, k1 TEXT, unit INTEGER, state BLOB, crc BLOB, PRIMARY KEY (s, z, k0, k1, unit)) WITHOUT ROWID;
    CREATE INDEX b_k1 ON b (s, z, k1, unit) WHERE k1 <> ''; CREATE INDEX b_time ON b (s, z, (unit + 0));`,
  part: `CREATE TABLE b (s INTEGER, z INTEGER, k0 TEXT, k1 TEXT, unit INTEGER, hi INTEGER, state BLOB, crc BLOB, PRIMARY KEY (s, z, k0, k1, unit)) WITHOUT ROWID;
    CREATE INDEX b_k1 ON b (s, z, k1, unit) WHERE k1 <> ''; CREATE INDEX b_time ON b (s, z, (hi + 0));`,
};
SCHEMA.part0 = SCHEMA.part;
// bucket, with integer ids for group keys (a dictionary table maps them to the key text).
SCHEMA.bucketint = `CREATE TABLE b (s INTEGER, z INTEGER, k0 INTEGER, k1 INTEGER, unit INTEGER, state BLOB, crc BLOB, PRIMARY KEY (s, z, k0, k1, unit)) WITHOUT ROWID;
    CREATE INDEX b_k1 ON b (s, z, k1, unit) WHERE k1 <> 0; CREATE INDEX b_time ON b (s, z, (unit + 0));`;

function run(layout) {
  const path = join(tmpdir(), `agg-layout-${process.pid}-${layout}.db`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("cache_size = -32768");
  db.exec(SCHEMA[layout]);
  const appends = layout.startsWith("part");
  const ids = new Map([["", 0]]);
  const idOf = layout === "bucketint" ? (k) => ids.get(k) ?? (ids.set(k, ids.size), ids.size - 1) : (k) => k;
  const put = appends
    ? db.prepare("INSERT INTO b VALUES (?, ?, ?, ?, ?, ?, ?, x'00000000')")
    : db.prepare("INSERT INTO b VALUES (?, ?, ?, ?, ?, ?, x'00000000') ON CONFLICT DO UPDATE SET state = excluded.state");
  const get = db.prepare("SELECT state FROM b WHERE s = ? AND z = ? AND k0 = ? AND k1 = ? AND unit = ?").pluck();
  const drop = db.prepare(`DELETE FROM b WHERE s = ? AND z = ? AND ${appends ? "hi" : "unit"} + 0 <= ?`);
  const written = new Set();
  let open = new Map();
  let latest = -Infinity;
  let batch = 0;
  const figures = { layout, records: 0, reads: 0, writeSeconds: 0, deleteSeconds: 0, commitSeconds: 0 };

  const record = (series, size, k0, k1, start) => {
    k0 = idOf(k0);
    k1 = idOf(k1);
    const unit = layout.startsWith("bucket") ? start : layout === "block" ? Math.floor(start / (size * BLOCK)) : batch;
    const id = `${series}|${size}|${k0}|${k1}|${unit}`;
    let r = open.get(id);
    if (r === undefined) open.set(id, (r = { id, series, size, k0, k1, unit, starts: new Set() }));
    r.starts.add(start);
  };
  const add = (series, size, k0, k1, t) => {
    const start = Math.floor(t / size) * size;
    if (layout === "part0" && k1 !== "") {
      record(series, size, k0, "", start);
      record(series, size, "", k1, start);
    } else record(series, size, k0, k1, start);
  };
  const byKey = (a, b) => a.series - b.series || a.size - b.size || (a.k0 < b.k0 ? -1 : a.k0 > b.k0 ? 1 : 0) || (a.k1 < b.k1 ? -1 : a.k1 > b.k1 ? 1 : 0) || a.unit - b.unit;
  const seconds = (since) => Number(process.hrtime.bigint() - since) / 1e9;

  const flush = () => {
    let t0 = process.hrtime.bigint();
    for (const r of [...open.values()].sort(byKey)) {
      if (layout.startsWith("bucket")) put.run(r.series, r.size, r.k0, r.k1, r.unit, Buffer.alloc(STATE, 7));
      else if (layout === "block") {
        let state = Buffer.alloc(BLOCK * (STATE + 1));
        if (written.has(r.id)) {
          figures.reads++;
          state = Buffer.from(get.get(r.series, r.size, r.k0, r.k1, r.unit) ?? state);
        }
        for (const s of r.starts) state.fill(7, ((s / r.size) % BLOCK) * (STATE + 1), ((s / r.size) % BLOCK + 1) * (STATE + 1));
        put.run(r.series, r.size, r.k0, r.k1, r.unit, state);
        written.add(r.id);
      } else {
        let hi = -Infinity;
        for (const s of r.starts) hi = Math.max(hi, s + r.size);
        put.run(r.series, r.size, r.k0, r.k1, r.unit, hi, Buffer.alloc(r.starts.size * (STATE + 8), 7));
      }
    }
    figures.records += open.size;
    open = new Map();
    figures.writeSeconds += seconds(t0);
    t0 = process.hrtime.bigint();
    for (const [series, size, retention] of SIZES) {
      const cutoff = latest - retention - size; // SPEC 3: buckets ending at or before it go
      if (layout.startsWith("bucket")) drop.run(series, size, cutoff - size);
      else if (layout === "block") drop.run(series, size, Math.floor(cutoff / (size * BLOCK)) - 1);
      else drop.run(series, size, cutoff);
    }
    figures.deleteSeconds += seconds(t0);
    t0 = process.hrtime.bigint();
    db.exec("COMMIT; BEGIN");
    figures.commitSeconds += seconds(t0);
    batch++;
  };

  db.exec("BEGIN");
  events.forEach((e, i) => {
    if (e.t > latest) latest = e.t;
    add(1, HOUR, e.merchant, "", e.t);
    add(1, DAY, e.merchant, "", e.t);
    add(2, DAY, e.user, e.merchant, e.t);
    add(3, DAY, e.user, "", e.t);
    if (e.food) add(4, 600_000, e.user, "", e.t);
    if ((i + 1) % BATCH === 0) flush();
  });
  flush();
  db.exec("COMMIT");
  figures.sqliteSeconds = figures.writeSeconds + figures.deleteSeconds + figures.commitSeconds;
  figures.liveRecords = db.prepare("SELECT count(*) FROM b").pluck().get();
  figures.fileMB = (db.prepare("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size").pluck().get() / 2 ** 20);
  db.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  return figures;
}

const rows = layouts.map(run);
const base = rows.find((r) => r.layout === "bucket");
for (const r of rows) {
  const ratio = base === undefined ? "" : `  ${(r.sqliteSeconds / base.sqliteSeconds).toFixed(2)}x of bucket`;
  process.stdout.write(`${r.layout.padEnd(7)} SQLite ${r.sqliteSeconds.toFixed(2)} s (writes ${r.writeSeconds.toFixed(2)}, deletes ${r.deleteSeconds.toFixed(2)}, commits ${r.commitSeconds.toFixed(2)})  records written ${r.records.toLocaleString("en-US")}, reads ${r.reads.toLocaleString("en-US")}, live ${r.liveRecords.toLocaleString("en-US")}, ${r.fileMB.toFixed(0)} MB${ratio}\n`);
}
