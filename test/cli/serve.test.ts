/**
 * `agg serve` through the built binary on a free loopback port: every endpoint, values and
 * statuses equal to `agg query --json` for the same ids and time (1,000 ids), errors,
 * limits, the bearer token, SIGTERM's drain, SIGHUP's reload and --workers.
 */
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { queryJson, type QueryJson } from "./query-fixture.js";
import { call, failServe, startServe, type Served } from "./serve-fixture.js";

const DAY = 86_400_000;
const START = Date.UTC(2024, 1, 1);
const T = "2024-03-07T15:30:00Z";
// A past T: the bucket holding it is read from the row log up to T (as of T).
const T_PAST = "2024-02-20T07:13:00Z";
const USER_FEATURES = ["user.txn_sum", "user.txn_count", "user.txn_mean", "user.txn_max", "user.food_spend", "user.txn_sum_by_merchant"];
const EVENTS = generateTransactions({ count: 12_000, seed: 21, users: 900, merchants: 40, start: START, spanMs: 40 * DAY });
const IDS = [...Array.from({ length: 900 }, (_, i) => `u${i}`), ...Array.from({ length: 100 }, (_, i) => `nobody-${i}`)];

/** A sample workspace with the events ingested, shared by the tests of this file. */
function ingestedWorkspace(): string {
  const dir = sampleWorkspace();
  writeFileSync(join(dir, "events.ndjson"), toNdjson(EVENTS));
  const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
  if (ingest.code !== 0) throw new Error(ingest.stderr);
  return dir;
}

function query(dir: string, ids: readonly string[], at: string, features = USER_FEATURES): QueryJson {
  writeFileSync(join(dir, "ids.txt"), ids.join("\n"));
  return queryJson(dir, [...features.flatMap((f) => ["--feature", f]), "--ids-file", "ids.txt", "--at", at]);
}

const dir = ingestedWorkspace();

describe("agg serve", () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe(dir);
  });
  afterAll(async () => {
    expect((await served.stop()).code).toBe(0);
  });

  it("prints where it listens, on loopback by default", () => {
    expect(served.stdout()).toMatch(/^agg serve: listening on http:\/\/127\.0\.0\.1:\d+ \(1 worker; project .*features; store .*store\.db\)\n$/);
  });

  it("POST /v1/query/online answers one entity in Chalk's shape, each window of a root as agg query --json gives it", async () => {
    const whole = query(dir, ["u7"], T, ["user.txn_sum", "user.txn_mean__2592000__"]);
    const expected = whole.rows[0]!;
    const answer = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "u7" }, outputs: ["user.txn_sum", "user.txn_mean__2592000__"], now: T } });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.json.data).toEqual(Object.keys(expected.values).map((field) => ({ field, value: expected.values[field], status: expected.status[field], error: null })));
    expect(answer.json.data.map((d: { field: string }) => d.field)).toEqual(["user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__2592000__", "user.txn_mean__2592000__"]);
    expect(answer.json.errors).toEqual([]);
    expect(answer.json.meta.query_timestamp).toBe(T);
    expect(answer.json.meta.execution_duration_s).toBeGreaterThan(0);
    expect(answer.json.warnings).toEqual(whole.warnings);
  });

  it("online: include_meta adds pkey and ts, explain the buckets behind each value, several namespaces each their own entity", async () => {
    const answer = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "u3", merchant_id: "m2" }, outputs: ["user.txn_sum__7d__", "merchant.txn_count"], now: T, include_meta: true, explain: true } });
    expect(answer.status).toBe(200);
    const user = query(dir, ["u3"], T, ["user.txn_sum__7d__"]).rows[0]!;
    const merchant = query(dir, ["m2"], T, ["merchant.txn_count"]).rows[0]!;
    const data = answer.json.data as { field: string; value: unknown; status: string; pkey: string; ts: string; explain: { mode: string } }[];
    expect(data.map((d) => [d.field, d.value, d.status, d.pkey, d.ts])).toEqual([
      ["user.txn_sum__604800__", user.values["user.txn_sum__604800__"], user.status["user.txn_sum__604800__"], "u3", T],
      ...Object.keys(merchant.values).map((f) => [f, merchant.values[f], merchant.status[f], "m2", T]),
    ]);
    for (const d of data) expect(typeof d.explain.mode).toBe("string");
  });

  it("1,000 ids over POST /v1/query/bulk equal agg query --json at the same T, value by value and status by status", async () => {
    const expected = query(dir, IDS, T);
    const answer = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": IDS }, outputs: USER_FEATURES, now: T } });
    expect(answer.status).toBe(200);
    const fields = Object.keys(expected.rows[0]!.values);
    expect(answer.json.fields).toEqual(fields);
    expect(answer.json.data["user.id"]).toEqual(IDS);
    expect(answer.json.now).toEqual(IDS.map(() => T));
    const statuses = new Set<string>();
    IDS.forEach((id, r) => {
      const row = expected.rows[r]!;
      expect(row.id).toBe(id);
      for (const f of fields) {
        expect([id, f, answer.json.data[f][r]]).toEqual([id, f, row.values[f]]);
        expect([id, f, answer.json.status[f][r]]).toEqual([id, f, row.status[f]]);
        statuses.add(row.status[f]!);
      }
    });
    // The comparison covers values from buckets, the row log and defaults.
    expect([...statuses].sort()).toEqual(expect.arrayContaining(["default", "present", "row_log"]));
    expect(answer.json.warnings).toEqual(expected.warnings);
  });

  it("bulk: a per-row now answers each row as agg query --at its T (one snapshot for all), and repeated ids keep their rows", async () => {
    const ids = [...IDS.slice(0, 150), "u5", "u5"];
    const now = ids.map((_, r) => (r % 2 === 0 ? T : T_PAST));
    const answer = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": ids }, outputs: USER_FEATURES, now } });
    expect(answer.status).toBe(200);
    const at = { [T]: query(dir, ids, T), [T_PAST]: query(dir, ids, T_PAST) };
    const byId = (q: QueryJson) => new Map(q.rows.map((row) => [row.id, row]));
    const rows = { [T]: byId(at[T]!), [T_PAST]: byId(at[T_PAST]!) };
    expect(answer.json.now).toEqual(now);
    ids.forEach((id, r) => {
      const row = rows[now[r]!]!.get(id)!;
      for (const f of answer.json.fields as string[]) {
        expect([id, now[r], f, answer.json.data[f][r], answer.json.status[f][r]]).toEqual([id, now[r], f, row.values[f], row.status[f]]);
      }
    });
  });

  it("bulk: rows name one entity per namespace", async () => {
    const users = ["u1", "u2", "nobody-1"];
    const merchants = ["m0", "m39", "m0"];
    const answer = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": users, "merchant.id": merchants }, outputs: ["merchant.txn_min", "user.txn_sum__30d__"], now: T } });
    expect(answer.status).toBe(200);
    const u = query(dir, users, T, ["user.txn_sum__30d__"]);
    const m = new Map(query(dir, merchants, T, ["merchant.txn_min"]).rows.map((row) => [row.id, row]));
    expect(answer.json.fields).toEqual(["merchant.txn_min__86400__", "merchant.txn_min__604800__", "user.txn_sum__2592000__"]);
    expect(answer.json.data["user.txn_sum__2592000__"]).toEqual(u.rows.map((row) => row.values["user.txn_sum__2592000__"]));
    expect(answer.json.data["merchant.txn_min__604800__"]).toEqual(merchants.map((id) => m.get(id)!.values["merchant.txn_min__604800__"]));
    expect(answer.json.status["merchant.txn_min__86400__"]).toEqual(merchants.map((id) => m.get(id)!.status["merchant.txn_min__86400__"]));
  });

  it("POST /get-online-features answers in Feast's shape: the entity key first, then one result per window, with agg's statuses", async () => {
    const expected = query(dir, IDS, T);
    const answer = await call(served.port, "/get-online-features", { body: { features: ["user:txn_sum", "user.txn_sum_by_merchant", "user.txn_mean"], entities: { user_id: IDS }, now: T } });
    expect(answer.status).toBe(200);
    const fields = ["user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__2592000__", "user.txn_sum_by_merchant__2592000__", "user.txn_mean__2592000__"];
    expect(answer.json.metadata.feature_names).toEqual(["user_id", ...fields]);
    expect(answer.json.results[0]).toEqual({ values: IDS, statuses: IDS.map(() => "present"), event_timestamps: IDS.map(() => T) });
    fields.forEach((f, k) => {
      const result = answer.json.results[k + 1];
      expect(result.values).toEqual(expected.rows.map((row) => row.values[f]));
      expect(result.statuses).toEqual(expected.rows.map((row) => row.status[f]));
      expect(result.event_timestamps).toEqual(IDS.map(() => T));
    });
    // The namespace's primary key in the dotted form works too.
    const dotted = await call(served.port, "/get-online-features", { body: { features: ["user.txn_count__1d__"], entities: { "user.id": ["u1"] }, now: T } });
    expect(dotted.json.metadata.feature_names).toEqual(["user.id", "user.txn_count__86400__"]);
  });

  it("without now, values are at the server's clock: what agg query without --at gives", async () => {
    const answer = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "u11" }, outputs: ["user.txn_sum__30d__"] } });
    expect(answer.status).toBe(200);
    const at = answer.json.meta.query_timestamp as string;
    expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(60_000);
    const expected = query(dir, ["u11"], at, ["user.txn_sum__30d__"]).rows[0]!;
    expect(answer.json.data[0].value).toEqual(expected.values["user.txn_sum__2592000__"]);
  });

  it("GET /health says what is served, without auth", async () => {
    const answer = await call(served.port, "/health");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: "ok", store: { path: join(dir, ".agg", "store.db"), schemaVersion: expect.any(Number) }, project: { root: join(dir, "features"), windowedFeatures: 9, reloadFailedAt: null }, pid: served.pid });
    expect(Date.parse(answer.json.store.lastCommitAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(Date.parse(answer.json.project.loadedAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it("GET /metrics: Prometheus text with request counts by endpoint and status, latency, and each series' data age", async () => {
    await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "u1" }, outputs: ["user.nope"] } });
    const answer = await call(served.port, "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.text).toMatch(/^agg_serve_requests_total\{endpoint="\/v1\/query\/online",status="200"\} [1-9]\d*$/m);
    expect(answer.text).toMatch(/^agg_serve_requests_total\{endpoint="\/v1\/query\/online",status="400"\} [1-9]\d*$/m);
    expect(answer.text).toMatch(/^agg_serve_request_duration_seconds_bucket\{le="0\.01",endpoint="\/v1\/query\/bulk"\} \d+$/m);
    const newest = Date.parse(EVENTS.reduce((a, e) => (e.ts > a ? e.ts : a), ""));
    const age = Number(/^agg_series_newest_event_age_seconds\{series="transaction \/ user_id \/ amount"\} (\S+)$/m.exec(answer.text)?.[1]);
    expect(Math.abs(age - (Date.now() - newest) / 1000)).toBeLessThan(120);
    expect(answer.text).toMatch(/^agg_series_materialized_age_seconds\{series="transaction \/ user_id \/ amount where transaction\.category eq \\"food\\""\} \S+$/m);
    expect(answer.text).toContain("process_cpu_seconds_total");
  });

  it("bad requests are 400 with {error: {code, message, hint}}, never a value", async () => {
    const post = (body: unknown, path = "/v1/query/online") => call(served.port, path, { body });
    const cases: [unknown, string, RegExp][] = [
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_summ"] }, "unknown_feature", /no windowed feature user\.txn_summ/],
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_sum__2d__"] }, "unknown_feature", /has no 2d window/],
      [{ inputs: { "user.id": "u1" }, outputs: ["transaction.amount"] }, "unknown_feature", /scalar feature/],
      [{ inputs: { "user.id": "u1" }, outputs: ["User.Txn"] }, "unknown_feature", /lower case/],
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"], now: "2024-03-01T12:00:00" }, "invalid_time", /needs a time zone/],
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"], now: "tomorrow" }, "invalid_time", /not a recognised time/],
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"], now: 1709287200 }, "invalid_request", /body\.now: must be string/],
      [{ inputs: { "user.id": "u1" } }, "invalid_request", /missing field "outputs"/],
      [{ inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"], staleness: {} }, "invalid_request", /unknown field "staleness"/],
      [{ inputs: { "user.id": null }, outputs: ["user.txn_sum"] }, "invalid_request", /must be string or integer/],
      [{ inputs: { "user.id": 2 ** 60 }, outputs: ["user.txn_sum"] }, "invalid_id", /integers below 2\^53/],
      [{ inputs: { "user.id": "\ud800" }, outputs: ["user.txn_sum"] }, "invalid_id", /lone surrogate/],
      [{ inputs: { "account.id": "u1" }, outputs: ["user.txn_sum"] }, "unknown_input", /"account\.id" is not the primary key/],
      [{ inputs: { "merchant.id": "m1" }, outputs: ["user.txn_sum"] }, "missing_input", /no user\.id was given/],
      [{ inputs: {}, outputs: ["user.txn_sum"] }, "invalid_request", /body\.inputs/],
      [[1, 2], "invalid_request", /body: must be object/],
      ["null", "invalid_request", /body: must be object/],
      ['{"inputs": ', "invalid_json", /not valid JSON/],
      ["", "invalid_json", /empty/],
    ];
    for (const [body, code, message] of cases) {
      const answer = await post(body);
      expect([JSON.stringify(body), answer.status, answer.json?.error?.code]).toEqual([JSON.stringify(body), 400, code]);
      expect(answer.json.error.message).toMatch(message);
      expect(typeof answer.json.error.hint === "string" || answer.json.error.hint === null).toBe(true);
      expect(Object.keys(answer.json)).toEqual(["error"]);
    }
    const bulk: [unknown, string, RegExp][] = [
      [{ inputs: { "user.id": ["u1", "u2"], "merchant.id": ["m1"] }, outputs: ["user.txn_sum"] }, "invalid_request", /has 1 ids but/],
      [{ inputs: { "user.id": ["u1", "u2"] }, outputs: ["user.txn_sum"], now: [T] }, "invalid_request", /now has 1 times for 2 rows/],
      [{ inputs: { "user.id": ["u1", "u2"] }, outputs: ["user.txn_sum"], now: [T, "nope"] }, "invalid_time", /^now\[1\]: /],
      [{ inputs: { "user.id": ["u1", "u2"], user_id: ["u1", "u2"] }, outputs: ["user.txn_sum"] }, "invalid_request", /both name user/],
      [{ inputs: { "user.id": ["u1", {}] }, outputs: ["user.txn_sum"] }, "invalid_request", /body\.inputs\["user\.id"\]\[1\]: must be string or integer/],
    ];
    for (const [body, code, message] of bulk) {
      const answer = await post(body, "/v1/query/bulk");
      expect([answer.status, answer.json.error.code]).toEqual([400, code]);
      expect(answer.json.error.message).toMatch(message);
    }
    const feast = await post({ features: ["user.txn_sum"], entities: { user_id: ["u1"] }, feature_service: "x" }, "/get-online-features");
    expect([feast.status, feast.json.error.message]).toEqual([400, 'body: unknown field "feature_service"']);
    // Integer ids are the decimal text ingest stores for a numeric key.
    const numeric = await post({ inputs: { "user.id": 7 }, outputs: ["user.txn_sum__1d__"], now: T });
    expect(numeric.status).toBe(200);
    expect(numeric.json.data[0].value).toEqual(query(dir, ["7"], T, ["user.txn_sum__1d__"]).rows[0]!.values["user.txn_sum__86400__"]);
  });

  it("other paths, methods and media types: 404, 405, 415, each with the error body", async () => {
    const notFound = await call(served.port, "/v1/query/offline", { body: {} });
    expect([notFound.status, notFound.json.error.code]).toEqual([404, "not_found"]);
    const method = await call(served.port, "/v1/query/online");
    expect([method.status, method.json.error.code, method.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
    const postHealth = await call(served.port, "/health", { body: {} });
    expect([postHealth.status, postHealth.headers.allow]).toEqual([405, "GET"]);
    const form = await call(served.port, "/v1/query/online", { body: "inputs=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect([form.status, form.json.error.code]).toEqual([415, "unsupported_media_type"]);
    const latin1 = await call(served.port, "/v1/query/online", { body: Buffer.from('{"inputs": {"user.id": "\xe9"}, "outputs": ["user.txn_sum"]}', "latin1") });
    expect([latin1.status, latin1.json.error.code, latin1.json.error.message]).toEqual([400, "invalid_json", "the request body is not UTF-8"]);
  });
});

describe("agg serve limits", () => {
  it("more ids than --max-ids is a 400, a body over --max-body a 413", async () => {
    const served = await startServe(dir, ["--max-ids", "5", "--max-body", "2048"]);
    try {
      const five = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": ["u1", "u2", "u3", "u4", "u5"] }, outputs: ["user.txn_sum"] } });
      expect(five.status).toBe(200);
      const six = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": ["u1", "u2", "u3", "u4", "u5", "u6"] }, outputs: ["user.txn_sum"] } });
      expect([six.status, six.json.error.code, six.json.error.message]).toEqual([400, "too_many_ids", "6 ids in one request; this server answers at most 5"]);
      const feast = await call(served.port, "/get-online-features", { body: { features: ["user.txn_sum"], entities: { user_id: ["a", "b", "c", "d", "e", "f"] } } });
      expect([feast.status, feast.json.error.code]).toEqual([400, "too_many_ids"]);
      const big = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "x".repeat(3000) }, outputs: ["user.txn_sum"] } });
      expect([big.status, big.json.error.code]).toEqual([413, "payload_too_large"]);
      expect(big.json.error.message).toBe("the request body is larger than 2048 bytes");
      const long = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "x".repeat(1025) }, outputs: ["user.txn_sum"] } });
      expect([long.status, long.json.error.code]).toEqual([400, "invalid_request"]);
    } finally {
      expect((await served.stop()).code).toBe(0);
    }
  });

  it("a response holds at most 1,000,000 values (rows x windows), whatever --max-ids allows", async () => {
    const served = await startServe(dir, ["--max-ids", "100000", "--max-body", "4194304"]);
    try {
      const ids = Array.from({ length: 90_000 }, (_, i) => `u${i}`);
      const answer = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": ids }, outputs: USER_FEATURES } });
      expect([answer.status, answer.json.error.code, answer.json.error.message]).toEqual([400, "too_many_values", "90000 rows x 12 windows is 1080000 values; one response holds at most 1000000"]);
    } finally {
      expect((await served.stop()).code).toBe(0);
    }
  });
});

describe("agg serve --token-file", () => {
  it("requires Authorization: Bearer <token> on every endpoint but /health (401 otherwise)", async () => {
    const token = "c2VjcmV0LXRva2VuLWZvci10ZXN0cw";
    writeFileSync(join(dir, "token"), `${token}\n`, { mode: 0o600 });
    const served = await startServe(dir, ["--token-file", "token"]);
    try {
      expect(served.stdout()).toContain("; bearer token required)");
      const body = { inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"] };
      for (const headers of [{}, { authorization: `Bearer ${token}x` }, { authorization: `Bearer ${token.slice(0, -1)}` }, { authorization: token }, { authorization: `Basic ${token}` }, { authorization: "Bearer" }]) {
        for (const [path, options] of [["/v1/query/online", { body }], ["/v1/query/bulk", { body: { inputs: { "user.id": ["u1"] }, outputs: ["user.txn_sum"] } }], ["/get-online-features", { body: {} }], ["/metrics", {}], ["/nowhere", {}]] as const) {
          const answer = await call(served.port, path, { ...options, headers });
          expect([path, headers, answer.status, answer.json?.error?.code]).toEqual([path, headers, 401, "unauthorized"]);
          expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="agg"/);
        }
      }
      // Refused before the body is read: an unauthenticated client cannot make it parse one.
      const bad = await call(served.port, "/v1/query/online", { body: "{not json" });
      expect(bad.status).toBe(401);
      const ok = await call(served.port, "/v1/query/online", { body, headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect((await call(served.port, "/v1/query/online", { body, headers: { authorization: `bearer   ${token}` } })).status).toBe(200);
      expect((await call(served.port, "/metrics", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await call(served.port, "/health")).status).toBe(200);
    } finally {
      expect((await served.stop()).code).toBe(0);
    }
  });

  it("a missing, empty or malformed token file stops it before it listens (exit 2); one others can read is a warning", async () => {
    expect(await failServe(dir, ["--token-file", "no-such-file"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--token-file: cannot read") });
    writeFileSync(join(dir, "empty-token"), "\n");
    expect(await failServe(dir, ["--token-file", "empty-token"])).toMatchObject({ code: 2, stderr: expect.stringContaining("is empty") });
    writeFileSync(join(dir, "spaced-token"), "two words\n");
    expect(await failServe(dir, ["--token-file", "spaced-token"])).toMatchObject({ code: 2, stderr: expect.stringContaining("holds characters a bearer token cannot") });
    writeFileSync(join(dir, "open-token"), "short", { mode: 0o644 });
    const served = await startServe(dir, ["--token-file", "open-token"]);
    await served.stop();
    expect(served.stderr()).toContain("can be read by other users (mode 644); chmod 600 it");
    expect(served.stderr()).toContain("the token is 5 characters long");
  });
});

describe("agg serve refuses to start", () => {
  it("without a store (exit 1, nothing created), with bad options (exit 2), on a busy port (exit 1)", async () => {
    const empty = sampleWorkspace();
    const none = await failServe(empty, ["--port", "0"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no store at");
    expect(existsSync(join(empty, ".agg", "store.db"))).toBe(false);
    expect((await failServe(dir, ["--port", "70000"])).stderr).toContain("--port 70000: expected a whole number from 0 to 65535");
    expect((await failServe(dir, ["--workers", "0"])).code).toBe(2);
    expect((await failServe(dir, ["--max-ids", "ten"])).code).toBe(2);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = String((busy.address() as { port: number }).port);
    try {
      for (const workers of ["1", "2"]) {
        const taken = await failServe(dir, ["--port", port, "--workers", workers]);
        expect([workers, taken.code]).toEqual([workers, 1]);
        expect(taken.stderr).toContain("EADDRINUSE");
      }
    } finally {
      busy.close();
    }
  });
});
