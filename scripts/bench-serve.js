// The `agg serve` figures of `npm run bench` (scripts/bench.js calls serveFigures on its
// store); `node scripts/bench-serve.js --work DIR` reruns them on a kept work folder
// (`node scripts/bench.js --keep`). Load comes from autocannon on loopback, bounded in time.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DAY = 86_400_000;

/** Published by the peers, measured over a network on other hardware (not comparable one to one). */
export const PEERS = [
  { name: "Feast Python feature server on Redis", figure: "p99 1.5-4 ms", note: "Feast's published benchmark, over a network, other hardware" },
  { name: "Chalk", figure: "p99 28 ms at 8k req/s", note: "Chalk's published figure, over a network, other hardware" },
];

/** A child process that prints `listening on http://host:PORT ` and stops on SIGTERM with exit 0. */
async function startChild(argv, cwd) {
  const child = spawn(process.execPath, argv, { cwd, env: { ...process.env, NO_COLOR: "1", CI: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const exited = new Promise((r) => child.once("exit", (code, signal) => r(code ?? signal)));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(" ")} did not start:\n${stderr}`)), 60_000);
    child.stdout.on("data", () => {
      const m = /listening on http:\/\/\S+:(\d+) /.exec(stdout);
      if (m) clearTimeout(timer), resolvePort(Number(m[1]));
    });
    exited.then((code) => reject(new Error(`${argv.join(" ")} exited (${code}):\n${stderr}`)));
  });
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code} after SIGTERM:\n${stderr}`);
    },
  };
}

// The baseline: node:http reading the same request bodies and sending a fixed answer of the
// same shape, so its figures are the load generator's, the kernel's and the machine's own.
const BASELINE = `
const { createServer } = require("node:http");
const body = JSON.stringify({ data: ["user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__2592000__"].map((field) => ({ field, value: 1021.84, status: "present", error: null })), errors: [], meta: { execution_duration_s: 0.00002, query_timestamp: "2024-03-31T00:00:00.123Z" }, warnings: [] });
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port + " "));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

/**
 * One autocannon run: POST /v1/query/online for one user x the 3 windows of user.txn_sum,
 * users in turn, T a few ms after the end of the data (each request plans its own T, as a
 * moving clock makes it, and no value needs the row log). Latencies are taken from every
 * response to the microsecond (autocannon's own histogram counts whole milliseconds).
 * With `rate`, autocannon sends each second's quota back to back on each connection,
 * then waits for the next second; without, each connection sends its next request as soon
 * as the answer to the last one is in (a closed loop).
 */
async function load(port, { users, at, rate = null, seconds, connections }) {
  const bodies = Array.from({ length: Math.min(users, 10_000) }, (_, i) => JSON.stringify({ inputs: { "user.id": `u${(i * 7919) % users}` }, outputs: ["user.txn_sum"], now: new Date(at + (i % 997)).toISOString() }));
  let next = 0;
  const samples = [];
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    ...(rate === null ? {} : { overallRate: rate }),
    requests: [{ method: "POST", path: "/v1/query/online", headers: { "content-type": "application/json" }, setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
  });
  instance.on("response", (_client, status, _bytes, ms) => {
    if (status === 200) samples.push(ms);
  });
  const result = await instance;
  samples.sort((a, b) => a - b);
  const q = (f) => (samples.length === 0 ? null : samples[Math.min(samples.length - 1, Math.floor(f * samples.length))]);
  return { targetRate: rate, connections, seconds, requestsPerSecond: result.requests.average, responses: samples.length, errors: result.errors + result.timeouts + result.non2xx, p50ms: q(0.5), p99ms: q(0.99), p999ms: q(0.999), maxms: samples.at(-1) ?? null };
}

const line = (r) => `${r.connections} conn${r.targetRate === null ? "" : ` at ${r.targetRate} req/s`}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.p50ms?.toFixed(3)} ms, p99 ${r.p99ms?.toFixed(3)} ms, ${r.errors} errors`;

/** 5,000 req/s on 1 and on 8 connections, then a closed loop on 1 to 128 connections; the best rate with p99 < 10 ms. */
async function figuresFor(port, options, log) {
  // Warm-up: statements prepared and code optimised, as in a running service.
  await load(port, { ...options, seconds: 3, connections: 8 });
  const at5000 = await load(port, { ...options, rate: 5_000, seconds: 10, connections: 1 });
  log(`    ${line(at5000)}`);
  const at5000x8 = await load(port, { ...options, rate: 5_000, seconds: 10, connections: 8 });
  log(`    ${line(at5000x8)}`);
  const sweep = [];
  for (const connections of [1, 4, 16, 32, 64, 128]) {
    const r = await load(port, { ...options, seconds: 5, connections });
    sweep.push(r);
    log(`    ${line(r)}`);
  }
  const under = sweep.filter((r) => r.errors === 0 && r.p99ms !== null && r.p99ms < 10);
  const best = under.reduce((a, r) => (a === null || r.requestsPerSecond > a.requestsPerSecond ? r : a), null);
  return { at5000, at5000x8, sweep, highestUnder10ms: best };
}

/** Every serve figure: agg serve with 1 and 2 workers, and the node:http baseline, under the same load. */
export async function serveFigures({ work, users, at, log = () => {} }) {
  const out = { peers: PEERS, loadGenerator: "autocannon in the bench process, on the same machine (it shares the cores with the server)" };
  const options = { users, at };
  for (const workers of [1, 2]) {
    log(`  agg serve --workers ${workers}`);
    const server = await startChild([join(repo, "bin", "agg.js"), "serve", "--port", "0", "--workers", String(workers)], work);
    try {
      out[`workers${workers}`] = await figuresFor(server.port, options, log);
    } finally {
      await server.stop();
    }
  }
  log("  baseline: node:http with a fixed answer");
  const baseline = await startChild(["-e", BASELINE], work);
  try {
    out.baseline = await figuresFor(baseline.port, options, log);
  } finally {
    await baseline.stop();
  }
  return out;
}

/** Table rows for bench.js's print(): [measure, agg, baseline, note]. */
export function serveRows(s, n) {
  const ms = (r) => (r === null ? "-" : `${n(r.p50ms, 2)} / ${n(r.p99ms, 2)}`);
  const rows = [];
  for (const workers of [1, 2]) {
    const w = s[`workers${workers}`];
    const label = `${workers} worker${workers === 1 ? "" : "s"}`;
    rows.push([`agg serve, 1 entity x 3 windows, 5,000 req/s on 1 connection (${label}), p50 / p99 ms`, ms(w.at5000), ms(s.baseline.at5000), `reached ${n(w.at5000.requestsPerSecond)} req/s, ${w.at5000.errors} errors; baseline: node:http, fixed answer`]);
    rows.push([`  the same on 8 connections, p50 / p99 ms`, ms(w.at5000x8), ms(s.baseline.at5000x8), "each second's requests sent back to back: up to 8 in flight"]);
    const best = w.highestUnder10ms;
    const base = s.baseline.highestUnder10ms;
    rows.push([`  highest rate with p99 < 10 ms (${label})`, best === null ? "none" : `${n(best.requestsPerSecond)} req/s`, base === null ? "none" : `${n(base.requestsPerSecond)} req/s`, best === null ? "" : `${best.connections} connections, p99 ${n(best.p99ms, 2)} ms (closed loop on 1-128 connections)`]);
  }
  for (const peer of s.peers) rows.push([`  published: ${peer.name}`, "", peer.figure, peer.note]);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const work = resolve(flag("--work", join(repo, "bench-data")));
  if (!existsSync(join(work, ".agg", "store.db"))) throw new Error(`no bench store in ${work}: run node scripts/bench.js --keep first`);
  const start = Date.UTC(2024, 0, 1);
  const figures = await serveFigures({ work, users: Number(flag("--users", "10000")), at: start + 90 * DAY, log: (t) => process.stderr.write(`${t}\n`) });
  console.log(JSON.stringify(figures, null, 2));
}
