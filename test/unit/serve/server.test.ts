/**
 * The server core in-process (STYLE 3): answering good and bad requests, a reload and a
 * drain write nothing to stdout or stderr and never exit; the only report of a failure
 * inside is the onInternalError callback.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadValidProject, projectSource } from "../../../src/project/load-project.js";
import { DEFAULT_LIMITS } from "../../../src/serve/limits.js";
import { startServer } from "../../../src/serve/server.js";
import { openDatabase } from "../../../src/store/sqlite/open-store.js";
import { call } from "../../cli/serve-fixture.js";
import { runAgg, sampleWorkspace } from "../../helpers/cli.js";
import { generateTransactions, toNdjson } from "../../helpers/events.js";

describe("the server core", () => {
  const written: string[] = [];
  beforeEach(() => {
    written.length = 0;
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    for (const method of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(args.join(" ")));
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`process.exit(${String(code)}) called by the server core`);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("answers, refuses, reloads and drains without printing or exiting", async () => {
    const dir = sampleWorkspace();
    writeFileSync(join(dir, "events.ndjson"), toNdjson(generateTransactions({ count: 300, seed: 4 })));
    expect(runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir }).code).toBe(0);
    const project = await loadValidProject(projectSource(join(dir, "features")));
    const storePath = join(dir, ".agg", "store.db");
    const db = openDatabase(storePath, { mustExist: true, noWrites: true });
    const internal: unknown[] = [];
    const server = await startServer({ host: "127.0.0.1", port: 0, db, storePath, project, token: "t0k3n-for-the-unit-test", limits: DEFAULT_LIMITS, now: () => Date.UTC(2024, 2, 1), onInternalError: (error) => internal.push(error) });
    try {
      const auth = { authorization: "Bearer t0k3n-for-the-unit-test" };
      const ok = await call(server.port, "/v1/query/online", { body: { inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"] }, headers: auth });
      expect(ok.status).toBe(200);
      // The injected clock is T when the request names none.
      expect(ok.json.meta.query_timestamp).toBe("2024-03-01T00:00:00Z");
      expect((await call(server.port, "/v1/query/online", { body: { inputs: {}, outputs: [] }, headers: auth })).status).toBe(400);
      expect((await call(server.port, "/v1/query/online", { body: "{", headers: auth })).status).toBe(400);
      expect((await call(server.port, "/v1/query/online", { body: {} })).status).toBe(401);
      expect((await call(server.port, "/elsewhere", { headers: auth })).status).toBe(404);
      expect((await call(server.port, "/metrics", { headers: auth })).status).toBe(200);
      expect((await call(server.port, "/health")).status).toBe(200);
      server.reload(project, null);
      expect((await call(server.port, "/v1/query/online", { body: { inputs: { "user.id": "u1" }, outputs: ["user.txn_sum"] } })).status).toBe(200);
    } finally {
      expect(await server.close(5_000)).toEqual({ answered: 8, cut: false });
      db.close();
    }
    expect(internal).toEqual([]);
    expect(written).toEqual([]);
  });
});
