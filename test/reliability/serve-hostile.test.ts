/**
 * Every client value is hostile: a fuzz of request bodies (random JSON, valid bodies with
 * fields swapped for random values, random text and bytes), raw bytes that are not HTTP,
 * and a client that never finishes its headers. The server answers each with a 2xx or a
 * 4xx and a JSON body of the documented shape (never a 5xx), and goes on serving.
 */
import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { call, startServe, type Served } from "../cli/serve-fixture.js";

const ENDPOINTS = ["/v1/query/online", "/v1/query/bulk", "/get-online-features"] as const;
const NAMES = ["user.txn_sum", "user.txn_sum__86400__", 'user.txn_sum["7d"]', "user.txn_sum_by_merchant", "merchant.txn_count", "user.nope", "user.txn_sum__0__", "", "__proto__", "user.txn_sum__99999999999999999999__"];
const VALID_NAMES = ["user.txn_sum", "user.txn_sum__86400__", 'user.txn_sum["7d"]', "user.txn_sum_by_merchant", "user.txn_mean", "user.food_spend__1h__", "user.txn_max"];
const KEYS = ["user.id", "user_id", "merchant.id", "merchant_id", "__proto__", "constructor", "", "user.id.x"];
const TIMES = ["2024-02-20T00:00:00Z", "1708387200", "2024-02-30", "9999-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "", " ", "2024-02-20T00:00:00", "1e9", "-1"];

describe("agg serve with hostile clients", () => {
  let served: Served;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  beforeAll(async () => {
    const dir = sampleWorkspace();
    writeFileSync(join(dir, "events.ndjson"), toNdjson(generateTransactions({ count: 1_500, seed: 9, users: 20, start: Date.UTC(2024, 1, 1), spanMs: 20 * 86_400_000 })));
    expect(runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir }).code).toBe(0);
    served = await startServe(dir, ["--max-ids", "50", "--max-body", "65536", "--request-timeout", "1000"]);
  });
  afterAll(async () => {
    agent.destroy();
    expect((await served.stop()).code).toBe(0);
    // Nothing the clients sent made the server fail inside.
    expect(served.stderr()).not.toMatch(/failed inside the server|error:/);
  });

  /** Every answer: not a 5xx, JSON, and either an error body or the endpoint's shape. */
  async function check(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
    const answer = await call(served.port, path, { body, headers, agent });
    if (answer.status >= 500) throw new Error(`${answer.status} for ${JSON.stringify(body)?.slice(0, 300)}: ${answer.text.slice(0, 300)}`);
    expect(answer.json, answer.text).toBeDefined();
    if (answer.status === 200) {
      const keys = Object.keys(answer.json).sort();
      const shape = { "/v1/query/online": ["data", "errors", "meta", "warnings"], "/v1/query/bulk": ["data", "errors", "fields", "meta", "now", "status", "warnings"], "/get-online-features": ["metadata", "results", "warnings"] }[path];
      expect(keys).toEqual(shape);
    } else {
      expect([400, 413, 415]).toContain(answer.status);
      expect(Object.keys(answer.json)).toEqual(["error"]);
      expect(Object.keys(answer.json.error)).toEqual(["code", "message", "hint"]);
      expect(typeof answer.json.error.message).toBe("string");
    }
    return answer.status;
  }

  it("random JSON values as bodies", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.jsonValue({ maxDepth: 4 }), async (path, body) => {
        await check(path, JSON.stringify(body));
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  it("valid bodies with a field or an id swapped for a hostile value", { timeout: 120_000 }, async () => {
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom("\ud800", "x".repeat(1100), "", "'; DROP TABLE rows; --", "%", "\u0000", "__proto__", 2 ** 60, -1, 1.5, null, [], {}, ...NAMES, ...KEYS, ...TIMES),
    );
    const valid = fc.subarray(VALID_NAMES, { minLength: 1 });
    const time = fc.constantFrom(...TIMES.slice(0, 2), "2024-03-01", "2024-02-10T05:00:00+02:00");
    const ids = fc.array(fc.constantFrom("u1", "u2", "u3", "nobody", "__proto__", "constructor", "7"), { minLength: 1, maxLength: 40 });
    const body = fc.oneof(
      fc.record({ path: fc.constant("/v1/query/online"), body: fc.record({ inputs: fc.constantFrom({ "user.id": "u1" }, { user_id: "u2" }, { "user.id": 7 }), outputs: valid, now: time, include_meta: fc.boolean(), explain: fc.boolean() }, { requiredKeys: ["inputs", "outputs"] }) }),
      fc.record({ path: fc.constant("/v1/query/bulk"), body: fc.record({ inputs: ids.map((list) => ({ "user.id": list })), outputs: valid, now: time }, { requiredKeys: ["inputs", "outputs"] }) }),
      fc.record({ path: fc.constant("/get-online-features"), body: fc.record({ features: valid, entities: ids.map((list) => ({ user_id: list })), full_feature_names: fc.boolean(), now: time }, { requiredKeys: ["features", "entities"] }) }),
    );
    // No change, a top-level field set to a hostile value, or one id (or name) inside replaced.
    const mutation = fc.oneof(fc.constant(null), fc.tuple(fc.constantFrom("inputs", "outputs", "features", "entities", "now", "include_meta", "extra"), hostile), fc.tuple(fc.constant("deep"), hostile, fc.nat()));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, mutation, async ({ path, body }, change) => {
        const sent: Record<string, unknown> = structuredClone(body);
        if (change !== null && change[0] !== "deep") sent[change[0]] = change[1];
        else if (change !== null) {
          const [, value, at] = change as [string, unknown, number];
          const list = (sent.outputs ?? sent.features) as unknown[];
          const column = Object.values((sent.inputs ?? sent.entities) as Record<string, unknown>)[0];
          if (Array.isArray(column) && at % 2 === 0) column[at % column.length] = value;
          else if (typeof column === "string" || typeof column === "number") (sent.inputs as Record<string, unknown>)[Object.keys(sent.inputs as object)[0]!] = value;
          else list[at % list.length] = value;
        }
        const status = await check(path, sent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: 800, seed: 16 },
    );
    // The fuzz reached both the handlers' answers and their refusals.
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(statuses.get(400)).toBeGreaterThan(100);
  });

  it("random text and bytes as bodies, with and without a JSON content type", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), fc.constantFrom("application/json", "application/json; charset=latin1", "text/plain", "application/octet-stream"), async (path, body, type) => {
        await check(path, body, { "content-type": type });
      }),
      { numRuns: 200, seed: 17 },
    );
    // Deep nesting and a body just over the limit.
    await check("/v1/query/online", "[".repeat(20_000) + "]".repeat(20_000));
    expect(await check("/v1/query/bulk", { inputs: { "user.id": Array.from({ length: 8_000 }, (_, i) => `user-${i}`) }, outputs: ["user.txn_sum"] })).toBe(413);
  });

  it("bytes that are not HTTP, and a client that never finishes its headers, leave it serving", { timeout: 30_000 }, async () => {
    const send = (bytes: string | Buffer) =>
      new Promise<string>((resolve) => {
        const socket = connect(served.port, "127.0.0.1");
        let text = "";
        socket.setEncoding("latin1").on("data", (chunk: string) => (text += chunk));
        socket.on("error", () => resolve(text));
        socket.on("close", () => resolve(text));
        socket.write(bytes);
        setTimeout(() => socket.end(), 200);
      });
    for (const junk of ["\u0000\u0001\u0002 garbage\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "POST /v1/query/online HTTP/1.1\r\nContent-Length: -5\r\n\r\n", "POST /v1/query/online HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n", Buffer.alloc(70_000, 65)]) {
      const answer = await send(junk);
      expect(answer === "" || /^HTTP\/1\.1 4\d\d /.test(answer), answer.slice(0, 200)).toBe(true);
    }
    // Slow headers: the server cuts the connection after --request-timeout (1 s here).
    const started = Date.now();
    const slow = await new Promise<string>((resolve) => {
      const socket = connect(served.port, "127.0.0.1");
      let text = "";
      socket.setEncoding("latin1").on("data", (chunk: string) => (text += chunk));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
      socket.write("POST /v1/query/online HTTP/1.1\r\nHost: x\r\n");
      const drip = setInterval(() => socket.writable && socket.write("X-Drip: 1\r\n"), 200);
      socket.on("close", () => clearInterval(drip));
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(slow === "" || /^HTTP\/1\.1 408 /.test(slow), slow.slice(0, 200)).toBe(true);
    const health = await call(served.port, "/health");
    expect(health.status).toBe(200);
  });
});
