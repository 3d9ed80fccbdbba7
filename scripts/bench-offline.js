// The offline-query and typed-API figures of `npm run bench` (scripts/bench.js calls
// offlineFigures on its data set; `node scripts/bench-offline.js --work DIR` reruns them on
// a kept work folder, `--spine-rows N` sets the spine's size).
import { createWriteStream, existsSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DAY = 86_400_000;
const FEATURES = ["user.txn_sum", "user.txn_mean"];

/** A seeded spine: `rows` (user, time, label) rows, users and times uniform over the data. */
async function writeSpine(file, rows, { users, start, end }) {
  let a = 99;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = createWriteStream(file);
  let buffer = "user_id,ts,label\n";
  for (let i = 0; i < rows; i++) {
    buffer += `u${Math.floor(random() * users)},${new Date(start + Math.floor(random() * (end - start))).toISOString()},${random() < 0.1 ? 1 : 0}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise((r) => out.once("drain", r));
      buffer = "";
    }
  }
  out.end(buffer);
  await new Promise((r) => out.once("finish", r));
}

async function timeEachAsync(n, fn) {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  samples.sort();
  const at = (q) => samples[Math.min(n - 1, Math.floor(q * n))];
  return { p50us: at(0.5), p99us: at(0.99) };
}

/** The typed API in-process: `store.query` for one entity, all windows of user.txn_sum. */
async function typedApi(work, users, at) {
  const { openStore } = await import(pathToFileURL(join(repo, "dist", "client", "index.js")).href);
  const store = await openStore({ project: join(work, "features") });
  const ids = Array.from({ length: users }, (_, i) => `u${i}`);
  const query = (i) => store.query({ features: ["user.txn_sum"], ids: [ids[(i * 7919) % users]], at });
  for (let i = 0; i < 5_000; i++) await query(i);
  const single = await timeEachAsync(20_000, query);
  store.close();
  return single;
}

/**
 * The same training set in DuckDB SQL, when @duckdb/node-api is installed: the spine and
 * the transactions loaded into DuckDB tables, then a range join, rows in exactly
 * (T - W, T] (what `--mode exact` computes), grouped by spine row.
 */
async function duckdb(work, spine, events) {
  let api;
  try {
    api = await import("@duckdb/node-api");
  } catch {
    return { skipped: "@duckdb/node-api is not installed (npm install --no-save @duckdb/node-api)" };
  }
  const instance = await api.DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const started = process.hrtime.bigint();
  await c.run(`CREATE TABLE txn AS SELECT user_id, amount, CAST(ts AS TIMESTAMPTZ) AS ts FROM read_json('${events}', columns = {id: 'VARCHAR', user_id: 'VARCHAR', merchant_id: 'VARCHAR', amount: 'DOUBLE', category: 'VARCHAR', ts: 'VARCHAR'})`);
  await c.run(`CREATE TABLE spine AS SELECT row_number() OVER () AS line, user_id, CAST(ts AS TIMESTAMPTZ) AS ts, label FROM read_csv('${spine}', header = true, columns = {user_id: 'VARCHAR', ts: 'VARCHAR', label: 'INTEGER'})`);
  const loaded = Number(process.hrtime.bigint() - started) / 1e9;
  const sql = `COPY (
    SELECT s.line, any_value(s.user_id) AS user_id, any_value(s.ts) AS ts, any_value(s.label) AS label,
      coalesce(sum(t.amount) FILTER (WHERE t.ts > s.ts - INTERVAL 1 DAY), 0) AS sum_1d,
      coalesce(sum(t.amount) FILTER (WHERE t.ts > s.ts - INTERVAL 7 DAY), 0) AS sum_7d,
      coalesce(sum(t.amount), 0) AS sum_30d,
      avg(t.amount) AS mean_30d
    FROM spine s LEFT JOIN txn t ON t.user_id = s.user_id AND t.ts > s.ts - INTERVAL 30 DAY AND t.ts <= s.ts
    GROUP BY s.line ORDER BY s.line
  ) TO '${join(work, "training-duckdb.parquet")}' (FORMAT parquet)`;
  const t = process.hrtime.bigint();
  await c.run(sql);
  const querySeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const check = await c.runAndReadAll(`SELECT sum_30d FROM read_parquet('${join(work, "training-duckdb.parquet")}') ORDER BY line LIMIT 1000`);
  const firstSums = check.getRows().map((r) => Number(r[0]));
  c.closeSync?.();
  return { loadSeconds: loaded, querySeconds, seconds: loaded + querySeconds, firstSums };
}

/** agg's exact output agrees with DuckDB's on the first rows (sums in another order: relative 1e-9). */
async function compareFirstRows(aggParquet, duckSums) {
  const { asyncBufferFromFile, parquetReadObjects } = await import("hyparquet");
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(aggParquet), rowStart: 0, rowEnd: duckSums.length, columns: ["user.txn_sum__2592000__"] });
  let worst = 0;
  rows.forEach((r, i) => (worst = Math.max(worst, Math.abs(r["user.txn_sum__2592000__"] - duckSums[i]) / Math.max(1, Math.abs(duckSums[i])))));
  return { rowsCompared: rows.length, worstRelativeDifference: worst };
}

/** Every offline figure: serving and exact mode over a big and a small spine, the typed API, DuckDB. */
export async function offlineFigures({ work, agg, spineRows, users, start, end, log = () => {} }) {
  const spine = join(work, "spine.csv");
  const small = join(work, "spine-small.csv");
  const smallRows = Math.max(1, Math.round(spineRows / 10));
  log(`  spine: ${spineRows.toLocaleString("en-US")} rows`);
  await writeSpine(spine, spineRows, { users, start, end });
  await writeSpine(small, smallRows, { users, start, end });
  const run = (file, mode, out) => {
    const r = agg(work, ["offline-query", "--spine", file, "--id-column", "user_id", "--time-column", "ts", ...FEATURES.flatMap((f) => ["--feature", f]), "--mode", mode, "--out", out, "--json"]);
    const summary = JSON.parse(r.stdout);
    return { seconds: r.seconds, rowsPerSecond: summary.rows / r.seconds, peakRssMB: r.rssMB, rows: summary.rows, columns: summary.columns.length, rowsWithDefault: summary.rowsWithDefault, rowsWithPartial: summary.rowsWithPartial, outMB: statSync(join(work, out)).size / 2 ** 20 };
  };
  log("  agg offline-query --mode serving");
  const serving = run(spine, "serving", "training.parquet");
  const servingSmall = run(small, "serving", "training-small.parquet");
  log("  agg offline-query --mode exact");
  const exact = run(spine, "exact", "training-exact.parquet");
  log("  typed API");
  const api = await typedApi(work, users, new Date(end));
  log("  DuckDB");
  const duck = await duckdb(work, spine, join(work, "events.ndjson"));
  const agreement = duck.firstSums ? await compareFirstRows(join(work, "training-exact.parquet"), duck.firstSums) : null;
  delete duck.firstSums;
  return { spineRows, smallSpineRows: smallRows, features: FEATURES, serving, servingSmall, exact, typedApiQuery: api, duckdb: duck, agreement };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const work = resolve(flag("--work", join(repo, "bench-data")));
  if (!existsSync(join(work, ".agg", "store.db"))) throw new Error(`no bench store in ${work}: run node scripts/bench.js --keep first`);
  const { spawnSync } = await import("node:child_process");
  const agg = (cwd, argv) => {
    const started = process.hrtime.bigint();
    const result = spawnSync("/usr/bin/time", ["-f", "__RSS_KB__ %M", process.execPath, join(repo, "bin", "agg.js"), ...argv], { cwd, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1", CI: "1" } });
    if (result.status !== 0) throw new Error(`agg ${argv.join(" ")} failed (${result.status}):\n${result.stderr}`);
    const rss = /__RSS_KB__ (\d+)/.exec(result.stderr);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout: result.stdout, rssMB: rss ? Number(rss[1]) / 1024 : null };
  };
  const start = Date.UTC(2024, 0, 1);
  const figures = await offlineFigures({ work, agg, spineRows: Number(flag("--spine-rows", "1000000")), users: 10_000, start: start + DAY, end: start + 90 * DAY, log: (t) => process.stderr.write(`${t}\n`) });
  console.log(JSON.stringify(figures, null, 2));
}
