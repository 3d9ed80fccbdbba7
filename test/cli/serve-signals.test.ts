/**
 * `agg serve` under signals: SIGTERM (and SIGINT) drain what is in flight and exit 0,
 * SIGHUP swaps in an edited project (or keeps the old one when the edit does not load),
 * and --workers N runs N processes behind one port with merged metrics.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { queryJson } from "./query-fixture.js";
import { call, eventually, startServe } from "./serve-fixture.js";

const DAY = 86_400_000;
const T = "2024-02-25T12:00:00Z";

function workspace(): string {
  const dir = sampleWorkspace();
  writeFileSync(join(dir, "events.ndjson"), toNdjson(generateTransactions({ count: 2_000, seed: 5, users: 30, start: Date.UTC(2024, 1, 1), spanMs: 25 * DAY })));
  const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
  if (ingest.code !== 0) throw new Error(ingest.stderr);
  return dir;
}

const online = (outputs: string[], id = "u1") => ({ inputs: { "user.id": id }, outputs, now: T });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("agg serve and signals", () => {
  let dir: string;
  beforeAll(() => {
    dir = workspace();
  });

  it("SIGTERM stops accepting, answers the request still arriving, and exits 0", async () => {
    const served = await startServe(dir);
    const body = JSON.stringify(online(["user.txn_sum"]));
    const socket = connect(served.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    let response = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (response += chunk));
    const half = Math.floor(body.length / 2);
    socket.write(`POST /v1/query/online HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`);
    await new Promise((r) => setTimeout(r, 300));
    served.proc.kill("SIGTERM");
    // The listener closes at once: a new connection is refused while the old request is answered.
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = connect(served.port, "127.0.0.1");
          probe.once("connect", () => (probe.destroy(), resolve(false)));
          probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
        }),
      10_000,
      "the listener closing",
    );
    expect(alive(served.pid)).toBe(true);
    socket.write(body.slice(half));
    const { code } = await served.exited;
    expect(code).toBe(0);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const json = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
    expect(json.data.map((d: { field: string }) => d.field)).toEqual(["user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__2592000__"]);
    expect(served.stderr()).toMatch(/agg serve: stopped on SIGTERM: every request in flight was answered; \d+ requests answered\n$/);
    socket.destroy();
  });

  it("idle keep-alive connections do not hold the drain; SIGINT stops it too, with exit 0", async () => {
    const served = await startServe(dir);
    const agent = new Agent({ keepAlive: true });
    expect((await call(served.port, "/v1/query/online", { body: online(["user.txn_count"]), agent })).status).toBe(200);
    const started = Date.now();
    const { code } = await served.stop("SIGINT");
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(served.stderr()).toContain("stopped on SIGINT");
    agent.destroy();
  });

  it("SIGHUP swaps in an edited project whole; an edit that does not load keeps the old one serving", async () => {
    const edited = workspace();
    const served = await startServe(edited);
    try {
      const before = await call(served.port, "/v1/query/online", { body: online(["user.txn_sum__14d__"]) });
      expect([before.status, before.json.error.code]).toEqual([400, "unknown_feature"]);
      const user = join(edited, "features", "user.ts");
      writeFileSync(user, readFileSync(user, "utf8").replace('txn_sum: windowed("1d", "7d", "30d"', 'txn_sum: windowed("1d", "7d", "14d", "30d"'));
      served.proc.kill("SIGHUP");
      await eventually(async () => (await call(served.port, "/v1/query/online", { body: online(["user.txn_sum__14d__"]) })).status === 200, 20_000, "the reload");
      const after = await call(served.port, "/v1/query/online", { body: online(["user.txn_sum"]) });
      const expected = queryJson(edited, ["--feature", "user.txn_sum", "--id", "u1", "--at", T]).rows[0]!;
      expect(after.json.data.map((d: { field: string; value: unknown; status: string }) => [d.field, d.value, d.status])).toEqual(Object.keys(expected.values).map((f) => [f, expected.values[f], expected.status[f]]));
      expect(after.json.data).toHaveLength(4);
      expect(served.stderr()).toMatch(/agg serve: reloaded the project at \S+: 9 windowed features/);

      // A file that does not parse: the reload fails whole, the edited project goes on serving.
      writeFileSync(join(edited, "features", "broken.ts"), "export const broken = ;\n");
      served.proc.kill("SIGHUP");
      await eventually(async () => served.stderr().includes("the reload failed"), 20_000, "the failed reload");
      expect(served.stderr()).toContain("features/broken.ts:1: cannot load this file");
      expect((await call(served.port, "/v1/query/online", { body: online(["user.txn_sum__14d__"]) })).status).toBe(200);
      const health = await call(served.port, "/health");
      expect(health.json.project.reloadFailedAt).not.toBeNull();
      rmSync(join(edited, "features", "broken.ts"));
      served.proc.kill("SIGHUP");
      await eventually(async () => (await call(served.port, "/health")).json.project.reloadFailedAt === null, 20_000, "the next reload");
    } finally {
      expect((await served.stop()).code).toBe(0);
    }
  });

  it("SIGHUP reads the token file again: the new token works, the old one no longer does", async () => {
    writeFileSync(join(dir, "token"), "first-token-0123456789abcdef\n", { mode: 0o600 });
    const served = await startServe(dir, ["--token-file", "token"]);
    try {
      const ask = (token: string) => call(served.port, "/v1/query/online", { body: online(["user.txn_sum"]), headers: { authorization: `Bearer ${token}` } });
      expect((await ask("first-token-0123456789abcdef")).status).toBe(200);
      writeFileSync(join(dir, "token"), "second-token-0123456789abcdef\n", { mode: 0o600 });
      served.proc.kill("SIGHUP");
      await eventually(async () => (await ask("second-token-0123456789abcdef")).status === 200, 20_000, "the new token");
      expect((await ask("first-token-0123456789abcdef")).status).toBe(401);
    } finally {
      expect((await served.stop()).code).toBe(0);
    }
  });
});

describe("agg serve --workers 2", () => {
  it("serves one port from two processes, merges their metrics, reloads and drains both, and replaces a worker that dies", async () => {
    const dir = workspace();
    const served = await startServe(dir, ["--workers", "2"]);
    try {
      expect(served.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers; /);
      // A new connection per request: the primary hands connections out round-robin.
      const pids = new Set<number>();
      for (let i = 0; i < 10; i++) pids.add((await call(served.port, "/health")).json.pid);
      expect(pids.size).toBe(2);
      expect(pids.has(served.pid)).toBe(false);
      const expected = queryJson(dir, ["--feature", "user.txn_mean", "--id", "u2", "--at", T]).rows[0]!;
      for (let i = 0; i < 10; i++) {
        const answer = await call(served.port, "/v1/query/online", { body: online(["user.txn_mean"], "u2") });
        expect(answer.json.data[0].value).toEqual(expected.values["user.txn_mean__2592000__"]);
      }
      const metrics = await call(served.port, "/metrics");
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^agg_serve_requests_total\{endpoint="\/v1\/query\/online",status="200"\} 10$/m);
      expect(metrics.text).toMatch(/^agg_serve_requests_total\{endpoint="\/health",status="200"\} 10$/m);
      expect(metrics.text).toMatch(/^agg_serve_request_duration_seconds_count\{endpoint="\/v1\/query\/online"\} 10$/m);
      expect(metrics.text.match(/^agg_series_newest_event_age_seconds\{series="transaction \/ user_id \/ amount"\}/gm)).toHaveLength(1);

      served.proc.kill("SIGHUP");
      await eventually(async () => (served.stderr().match(/\(worker \d+\): reloaded the project/g) ?? []).length === 2, 20_000, "both workers reloading");

      const victim = [...pids][0]!;
      process.kill(victim, "SIGKILL");
      await eventually(async () => served.stderr().includes(`worker ${victim} exited (SIGKILL); starting another`), 20_000, "the replacement");
      await eventually(
        async () => {
          const seen = new Set<number>();
          for (let i = 0; i < 6; i++) seen.add((await call(served.port, "/health")).json.pid);
          return seen.size === 2 && !seen.has(victim);
        },
        20_000,
        "two workers again",
      );
      const workers = new Set<number>();
      for (let i = 0; i < 6; i++) workers.add((await call(served.port, "/health")).json.pid);
      const { code } = await served.stop();
      expect(code).toBe(0);
      expect(served.stderr()).toMatch(/agg serve: stopped on SIGTERM: every worker exited\n$/);
      for (const pid of workers) expect(alive(pid)).toBe(false);
    } finally {
      await served.stop("SIGKILL");
    }
  });
});
