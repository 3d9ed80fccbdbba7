// The benchmark's second data set: real flights (vega-datasets' flights-3m.parquet, US
// flights of 2001), ingested by agg, by a JSON.parse + one-INSERT-per-row SQLite
// baseline, and by ClickHouse (materialized views into AggregatingMergeTree tables) when
// `clickhouse-server` is installed, all from the same NDJSON file. scripts/bench.js calls
// flightsFigures; `npm run bench -- --only flights [--flights-rows N]` runs this part alone.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PARQUET = join(repo, "node_modules", "vega-datasets", "data", "flights-3m.parquet");
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DELAYED = 15; // minutes: the filtered count is of flights with delay > 15

// ---------------------------------------------------------------------------- data set
/**
 * The first `rows` flights of the Parquet file, in its order, as NDJSON: an id per row
 * (`f0`, `f1`, ...) and the departure time as ISO-8601 UTC. The file's timestamps carry
 * no zone (local times); they are read as UTC, the same for agg and ClickHouse.
 * Returns what the correctness check needs: the latest time and flights per origin.
 */
async function writeFlights(file, rows) {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import("hyparquet");
  // The file is ZSTD-compressed: hyparquet decodes only Snappy by itself.
  const { compressors } = await import("hyparquet-compressors");
  const source = await asyncBufferFromFile(PARQUET);
  const metadata = await parquetMetadataAsync(source);
  const total = Number(metadata.num_rows);
  if (rows > total) throw new Error(`--flights-rows ${rows}: the file has ${total} flights`);
  const out = createWriteStream(file);
  const perOrigin = new Map();
  let earliest = Infinity;
  let latest = -Infinity;
  let skipped = 0;
  let written = 0;
  let start = 0;
  // One row group at a time (~270k rows), so memory stays bounded.
  for (const group of metadata.row_groups) {
    if (start >= rows) break;
    const end = Math.min(rows, start + Number(group.num_rows));
    const batch = await parquetReadObjects({ file: source, metadata, compressors, rowStart: start, rowEnd: end });
    let text = "";
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      // agg's stream schema requires every field; a row with a null would be rejected by
      // agg and read as 0 by ClickHouse, so it is left out of both (and counted).
      if (r.date == null || r.delay == null || r.distance == null || r.origin == null || r.destination == null) {
        skipped++;
        continue;
      }
      const t = r.date.getTime();
      if (t > latest) latest = t;
      if (t < earliest) earliest = t;
      perOrigin.set(r.origin, (perOrigin.get(r.origin) ?? 0) + 1);
      text += `{"id":"f${start + i}","time":"${r.date.toISOString()}","delay":${Number(r.delay)},"distance":${Number(r.distance)},"origin":${JSON.stringify(r.origin)},"destination":${JSON.stringify(r.destination)}}\n`;
      written++;
      if (text.length > 1 << 20) {
        if (!out.write(text)) await new Promise((done) => out.once("drain", done));
        text = "";
      }
    }
    out.write(text);
    start = end;
  }
  out.end();
  await new Promise((done) => out.once("finish", done));
  return { rows: written, skipped, earliest, latest, perOrigin };
}

// ---------------------------------------------------------------------------- baseline
/** What SQLite alone does with the file: JSON.parse and one INSERT per row, one transaction. */
async function ingestBaseline(file, dbFile, rows) {
  rmSync(dbFile, { force: true });
  const db = new Database(dbFile);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE flight (id TEXT PRIMARY KEY, time TEXT, delay INTEGER, distance INTEGER, origin TEXT, destination TEXT) WITHOUT ROWID");
  const insert = db.prepare("INSERT INTO flight VALUES (?, ?, ?, ?, ?, ?)");
  const started = process.hrtime.bigint();
  db.exec("BEGIN");
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const m = JSON.parse(line);
    insert.run(m.id, m.time, m.delay, m.distance, m.origin, m.destination);
  }
  db.exec("COMMIT");
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { seconds, messagesPerSecond: rows / seconds };
}

// ---------------------------------------------------------------------------- ClickHouse
// The same buckets as bench/flights/features/airport.ts: per origin by the hour and by
// the day (count, sum, mean, max, count of delay > 15) and one running total per origin.
// ClickHouse 18.16 (Debian's) has no DateTime64; times are whole seconds, as the data's.
const SCHEMA = [
  `CREATE TABLE flights (id String, time DateTime('UTC'), delay Int32, distance Int32, origin String, destination String)
     ENGINE = MergeTree() PARTITION BY toYYYYMM(time) ORDER BY (origin, time)`,
  `CREATE TABLE by_hour (origin String, hour DateTime('UTC'), departures AggregateFunction(count), delay_sum AggregateFunction(sum, Int32),
     delay_mean AggregateFunction(avg, Int32), delay_max AggregateFunction(max, Int32), delayed AggregateFunction(countIf, UInt8))
     ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (origin, hour)`,
  `CREATE MATERIALIZED VIEW by_hour_mv TO by_hour AS SELECT origin, toStartOfHour(time) AS hour, countState() AS departures, sumState(delay) AS delay_sum,
     avgState(delay) AS delay_mean, maxState(delay) AS delay_max, countIfState(delay > ${DELAYED}) AS delayed FROM flights GROUP BY origin, hour`,
  `CREATE TABLE by_day (origin String, day Date, departures AggregateFunction(count), delay_sum AggregateFunction(sum, Int32),
     delay_mean AggregateFunction(avg, Int32), delay_max AggregateFunction(max, Int32), delayed AggregateFunction(countIf, UInt8))
     ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (origin, day)`,
  `CREATE MATERIALIZED VIEW by_day_mv TO by_day AS SELECT origin, toDate(time) AS day, countState() AS departures, sumState(delay) AS delay_sum,
     avgState(delay) AS delay_mean, maxState(delay) AS delay_max, countIfState(delay > ${DELAYED}) AS delayed FROM flights GROUP BY origin, day`,
  `CREATE TABLE by_origin (origin String, distance_total AggregateFunction(sum, Int32)) ENGINE = AggregatingMergeTree() ORDER BY origin`,
  `CREATE MATERIALIZED VIEW by_origin_mv TO by_origin AS SELECT origin, sumState(distance) AS distance_total FROM flights GROUP BY origin`,
];

/** The installed server and client, or null: Debian puts the server in /usr/sbin. */
function findClickHouse() {
  const find = (name) => ["/usr/sbin", "/usr/bin", "/usr/local/bin", ...(process.env.PATH ?? "").split(":")].map((d) => join(d, name)).find((p) => existsSync(p));
  const server = find("clickhouse-server");
  const client = find("clickhouse-client");
  return server && client ? { server, client } : null;
}

/** A loopback port nobody listens on now (the OS picks it). */
function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** A config of its own: loopback ports, every path under `dir`, one passwordless default user. */
function writeServerConfig(dir, { httpPort, tcpPort }) {
  for (const sub of ["data", "tmp", "user_files", "log"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(
    join(dir, "config.xml"),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><size>100M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`,
  );
  writeFileSync(
    join(dir, "users.xml"),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
}

/** Polls the HTTP /ping endpoint until the server answers (or gives up after 60 s). */
async function waitReady(server, httpPort, dir) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const errors = existsSync(join(dir, "log", "error.log")) ? readFileSync(join(dir, "log", "error.log"), "utf8").slice(-2000) : "";
  throw new Error(`clickhouse-server did not start (exit ${server.exitCode}):\n${errors}`);
}

async function stopServer(server) {
  if (server.exitCode !== null) return;
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Peak resident memory of a live process (VmHWM), MB. */
function peakRssOf(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : null;
}

/** CPU seconds a live process has used so far (user + system, from /proc). */
function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
}

/**
 * Starts a server of its own in `dir`, creates the tables and views, times the insert of
 * the whole file through clickhouse-client (JSONEachRow; the client parses, the server
 * runs the views), reads back the check values, and stops the server.
 */
async function clickhouseFigures(dir, file, rows, checks, bin) {
  rmSync(dir, { recursive: true, force: true });
  const httpPort = await freePort();
  let tcpPort = await freePort();
  // Each probe closes before the next, so the OS may hand out the same port twice.
  while (tcpPort === httpPort) tcpPort = await freePort();
  const ports = { httpPort, tcpPort };
  writeServerConfig(dir, ports);
  const server = spawn(bin.server, [`--config-file=${join(dir, "config.xml")}`], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  server.stderr.on("data", (b) => (stderr = (stderr + b).slice(-4000)));
  try {
    await waitReady(server, ports.httpPort, dir);
    const client = (argv) => {
      const r = spawnSync(bin.client, ["--host", "127.0.0.1", "--port", String(ports.tcpPort), ...argv], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`clickhouse-client ${argv.join(" ").slice(0, 200)} failed (${r.status}):\n${r.stderr}`);
      return r.stdout;
    };
    for (const sql of SCHEMA) client(["--query", sql]);
    const serverCpuBefore = cpuSecondsOf(server.pid);
    const input = openSync(file, "r");
    const hasTime = existsSync("/usr/bin/time");
    const started = process.hrtime.bigint();
    // best_effort: the file's times are ISO-8601 with a zone, as agg reads them.
    const r = spawnSync(hasTime ? "/usr/bin/time" : bin.client, [...(hasTime ? ["-f", "__CPU__ %U %S %M", bin.client] : []), "--host", "127.0.0.1", "--port", String(ports.tcpPort), "--date_time_input_format=best_effort", "--query", "INSERT INTO flights FORMAT JSONEachRow"], { stdio: [input, "pipe", "pipe"], encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    closeSync(input);
    if (r.status !== 0) throw new Error(`clickhouse-client INSERT failed (${r.status}):\n${r.stderr}`);
    const cpu = /__CPU__ ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
    const figures = {
      version: client(["--query", "SELECT version()"]).trim(),
      seconds,
      messagesPerSecond: rows / seconds,
      clientCpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : null,
      clientPeakRssMB: cpu ? Number(cpu[3]) / 1024 : null,
      serverCpuSeconds: cpuSecondsOf(server.pid) - serverCpuBefore,
      serverPeakRssMB: peakRssOf(server.pid),
      rowsStored: Number(client(["--query", "SELECT count() FROM flights"]).trim()),
      bucketRows: Object.fromEntries(["by_hour", "by_day", "by_origin"].map((t) => [t, Number(client(["--query", `SELECT count() FROM (SELECT origin FROM ${t} FINAL)`]).trim())])),
    };
    figures.values = checks.map((check) => clickhouseValues(client, check));
    return figures;
  } finally {
    await stopServer(server);
    if (server.exitCode && server.exitCode !== 0 && server.signalCode !== "SIGTERM") process.stderr.write(`clickhouse-server exited ${server.exitCode}: ${stderr}\n`);
  }
}

/** The check's values from the bucket tables: the same buckets agg's window merges. */
function clickhouseValues(client, { origin, at, window, bucket }) {
  const quote = `'${origin.replace(/'/g, "''")}'`;
  if (window === "all") {
    const out = client(["--query", `SELECT sumMerge(distance_total) FROM by_origin WHERE origin = ${quote}`]).trim();
    return { distance_total: Number(out) };
  }
  const [first, last] = bucketSpan(at, window, bucket);
  const [table, column, lit] = bucket === HOUR ? ["by_hour", "hour", (t) => `toDateTime(${t / 1000}, 'UTC')`] : ["by_day", "day", (t) => `toDate(toDateTime(${t / 1000}, 'UTC'))`];
  const out = client([
    "--query",
    `SELECT countMerge(departures) AS departures, sumMerge(delay_sum) AS delay_sum, avgMerge(delay_mean) AS delay_mean, maxMerge(delay_max) AS delay_max, countIfMerge(delayed) AS delayed
       FROM ${table} WHERE origin = ${quote} AND ${column} >= ${lit(first)} AND ${column} <= ${lit(last)} FORMAT JSONEachRow`,
  ]);
  const row = JSON.parse(out);
  // 64-bit integers come back quoted.
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

// ---------------------------------------------------------------------------- correctness
/**
 * The buckets a window (T - W, T] merges under SPEC 5.3: every bucket with end > T - W
 * and start <= T; as first and last bucket start.
 */
function bucketSpan(at, window, bucket) {
  const last = Math.floor(at / bucket) * bucket;
  let first = last;
  // The bucket before `first` ends at `first`: it overlaps while first > T - W.
  while (first > at - window) first -= bucket;
  return [first, last];
}

/**
 * Check points where every engine's answer is whole buckets: the end of the last full
 * day and of the last full hour (T one millisecond before the boundary, so the bucket
 * holding T is complete), and the unbounded total after the last flight; for the two
 * busiest origins.
 */
function checkPoints({ earliest, latest, perOrigin }) {
  const origins = [...perOrigin.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([o]) => o);
  // A small --flights-rows may not reach a boundary: then T is the last flight.
  const endOf = (size) => (Math.floor(latest / size) * size - 1 >= earliest ? Math.floor(latest / size) * size - 1 : latest);
  const points = [];
  for (const origin of origins) {
    points.push({ origin, at: endOf(DAY), window: DAY, bucket: DAY });
    points.push({ origin, at: endOf(HOUR), window: HOUR, bucket: HOUR });
    points.push({ origin, at: latest, window: "all", bucket: null });
  }
  return points;
}

/** The same values computed in plain JavaScript from the NDJSON file: the reference. */
async function expectedValues(file, checks) {
  const acc = checks.map(() => ({ departures: 0, delay_sum: 0, delay_max: null, delayed: 0, distance_total: 0 }));
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const m = JSON.parse(line);
    const t = Date.parse(m.time);
    checks.forEach((c, i) => {
      if (m.origin !== c.origin || t > c.at) return;
      const a = acc[i];
      if (c.window === "all") {
        a.distance_total += m.distance;
        return;
      }
      const [first, last] = bucketSpan(c.at, c.window, c.bucket);
      const start = Math.floor(t / c.bucket) * c.bucket;
      if (start < first || start > last) return;
      a.departures++;
      a.delay_sum += m.delay;
      a.delay_max = a.delay_max === null ? m.delay : Math.max(a.delay_max, m.delay);
      if (m.delay > DELAYED) a.delayed++;
    });
  }
  return checks.map((c, i) => {
    const a = acc[i];
    if (c.window === "all") return { distance_total: a.distance_total };
    return { departures: a.departures, delay_sum: a.delay_sum, delay_mean: a.departures ? a.delay_sum / a.departures : null, delay_max: a.delay_max, delayed: a.delayed };
  });
}

/** agg's values at each check point, through `agg query --json` (one call per point). */
function aggValues(cwd, agg, checks) {
  return checks.map((c) => {
    const suffix = c.window === "all" ? "__all__" : `__${c.window / 1000}__`;
    const names = c.window === "all" ? ["distance_total"] : ["departures", "delay_sum", "delay_mean", "delay_max", "delayed"];
    const argv = ["query", ...names.flatMap((n) => ["--feature", `airport.${n}${suffix}`]), "--id", c.origin, "--at", new Date(c.at).toISOString(), "--json"];
    const row = JSON.parse(agg(cwd, argv).stdout).rows[0];
    return { values: Object.fromEntries(names.map((n) => [n, row.values[`airport.${n}${suffix}`]])), status: [...new Set(Object.values(row.status))].join(",") };
  });
}

/** Every difference between an engine's values and the reference (means within 1e-9). */
function differences(label, checks, expected, got) {
  const out = [];
  checks.forEach((c, i) => {
    for (const [key, want] of Object.entries(expected[i])) {
      const have = got[i]?.[key];
      const same = typeof want === "number" && typeof have === "number" ? Math.abs(want - have) <= 1e-9 * Math.max(1, Math.abs(want)) : want === have;
      if (!same) out.push(`${label}: ${c.origin} ${key} ${c.window === "all" ? "all" : c.window / 1000 + "s"} at ${new Date(c.at).toISOString()}: ${have} (expected ${want})`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------- profile
/**
 * Where an `agg ingest` run spends its time: the run under `node --cpu-prof`, each
 * function's self time summed over the profile's nodes (timeDeltas are per sample, and
 * each sample is charged to the function on top of the stack).
 */
function profileIngest(cwd, file, top = 20) {
  const dir = join(cwd, "cpu-prof");
  rmSync(dir, { recursive: true, force: true });
  const store = join(cwd, "profile-store.db");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(store + suffix, { force: true });
  // Node 20 does not take --cpu-prof from NODE_OPTIONS: the flag goes on the command line.
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, join(repo, "bin", "agg.js"), "--store", store, "ingest", "--source", "flights", "--file", file, "--json"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", CI: "1" } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`profiled agg ingest failed (${run.status}):\n${run.stderr}`);
  const self = new Map();
  let total = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, name), "utf8"));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = byId.get(id).callFrame;
      const where = url ? `${url.replace(/^file:\/\//, "").replace(repo + "/", "")}:${lineNumber + 1}` : "";
      const key = `${functionName || "(anonymous)"} ${where}`.trim();
      const us = profile.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + us);
      total += us;
    });
  }
  const functions = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total }));
  return { seconds, sampledMs: total / 1000, functions };
}

// ---------------------------------------------------------------------------- main
/**
 * Every flights figure. `agg(cwd, argv, env)` is bench.js's helper (the whole command,
 * timed, with peak RSS). `profile`: also profile a second agg ingest.
 */
export async function flightsFigures({ work, rows, agg, log = () => {}, profile = false }) {
  const dir = join(work, "flights");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, "bench", "flights", "features"), join(dir, "features"), { recursive: true });
  const file = join(dir, "flights.ndjson");
  log(`  writing ${rows.toLocaleString("en-US")} flights from flights-3m.parquet...`);
  const data = await writeFlights(file, rows);
  const checks = checkPoints(data);
  const expected = await expectedValues(file, checks);

  log("  agg ingest");
  const run = agg(dir, ["ingest", "--source", "flights", "--file", file, "--json"]);
  const summary = JSON.parse(run.stdout);
  const store = new Database(join(dir, ".agg", "store.db"), { readonly: true });
  // Bucket records left after retention (1h buckets keep 1h, 1d buckets 1d).
  const bucketRecords = store.prepare("SELECT count(*) AS n FROM buckets").get().n;
  store.close();
  const aggRun = { seconds: run.seconds, messagesPerSecond: data.rows / run.seconds, peakRssMB: run.rssMB, bucketRecordsAfterRetention: bucketRecords, summary };

  log("  baseline: JSON.parse + one INSERT per row");
  const baseline = await ingestBaseline(file, join(dir, "baseline.db"), data.rows);

  const mismatches = [];
  const answers = aggValues(dir, agg, checks);
  mismatches.push(...differences("agg", checks, expected, answers.map((a) => a.values)));

  const bin = findClickHouse();
  let clickhouse;
  if (!bin) {
    clickhouse = { skipped: "clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client)" };
    log(`  ClickHouse: ${clickhouse.skipped}`);
  } else {
    log("  ClickHouse: own server, INSERT ... FORMAT JSONEachRow through materialized views");
    try {
      clickhouse = await clickhouseFigures(join(dir, "clickhouse"), file, data.rows, checks, bin);
      mismatches.push(...differences("ClickHouse", checks, expected, clickhouse.values));
      if (clickhouse.rowsStored !== data.rows) mismatches.push(`ClickHouse: ${clickhouse.rowsStored} rows stored, ${data.rows} sent`);
      delete clickhouse.values;
    } catch (error) {
      // agg's figures are still worth printing; the run fails at its end (bench.js).
      clickhouse = { skipped: `ClickHouse FAILED: ${error.message.split("\n")[0]}`, error: error.message };
      log(`  ${clickhouse.error}`);
    }
  }
  if (summary.rowsInserted !== data.rows) mismatches.push(`agg: ${summary.rowsInserted} rows inserted, ${data.rows} sent`);
  for (const m of mismatches) log(`  MISMATCH ${m}`);

  let cpuProfile = null;
  if (profile) {
    log("  profiling agg ingest (node --cpu-prof)");
    cpuProfile = profileIngest(dir, file);
  }
  return {
    rows: data.rows,
    skippedNullRows: data.skipped,
    origins: data.perOrigin.size,
    span: { first: new Date(data.earliest).toISOString(), last: new Date(data.latest).toISOString() },
    agg: aggRun,
    baseline,
    clickhouse,
    ratios: { aggToBaseline: aggRun.messagesPerSecond / baseline.messagesPerSecond, aggToClickHouse: clickhouse.messagesPerSecond ? aggRun.messagesPerSecond / clickhouse.messagesPerSecond : null },
    check: { points: checks.map((c, i) => ({ origin: c.origin, at: new Date(c.at).toISOString(), window: c.window === "all" ? "all" : `${c.window / 1000}s`, expected: expected[i], aggStatus: answers[i].status })), mismatches },
    profile: cpuProfile,
  };
}

/** Rows for bench.js's printed table. */
export function flightsRows(f, n) {
  const ch = f.clickhouse;
  const rows = [
    [`flights: agg ingest, ${n(f.rows)} real flights, messages/s`, n(f.agg.messagesPerSecond), n(f.baseline.messagesPerSecond), `${n(f.ratios.aggToBaseline * 100)}% of baseline (JSON.parse + one INSERT per row); peak RSS ${n(f.agg.peakRssMB)} MB`],
    ch.skipped
      ? ["  ClickHouse", "", "", ch.skipped]
      : [`  ClickHouse ${ch.version}, INSERT ... FORMAT JSONEachRow through 3 views, messages/s`, "", n(ch.messagesPerSecond), `agg at ${n(f.ratios.aggToClickHouse * 100, 1)}% of ClickHouse's rate; its CPU: client ${n(ch.clientCpuSeconds, 1)} s + server ${n(ch.serverCpuSeconds, 1)} s in ${n(ch.seconds, 1)} s`],
    [`  correctness: ${ch.skipped ? "agg" : "agg and ClickHouse"} against plain JS, 2 airports x (1h, 1d, all)`, f.check.mismatches.length ? "MISMATCH" : "equal", "", f.check.mismatches.length ? `${f.check.mismatches.length} differences (see above)` : `agg status: ${[...new Set(f.check.points.map((p) => p.aggStatus))].join(", ")}`],
  ];
  return rows;
}

/** The profile as printable lines. */
export function profileLines(p, n) {
  if (!p) return [];
  return [`agg ingest on flights under --cpu-prof: ${n(p.seconds, 1)} s, top self time`, ...p.functions.map((f) => `  ${n(f.share * 100, 1).padStart(5)}%  ${n(f.ms).padStart(7)} ms  ${f.fn}`)];
}
