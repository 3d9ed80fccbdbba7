/**
 * The core never prints and never exits (STYLE 3): a whole flow through the core modules
 * (load the sample project, ingest, backfill, query, including a rejected message and an
 * error) writes nothing to stdout or stderr and never calls process.exit. Only src/cli/
 * talks to the terminal, through its Io.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runBackfillJob } from "../../src/backfill/backfill-job.js";
import { ingestMessages } from "../../src/ingest/ingest-messages.js";
import type { InputMessage } from "../../src/ingest/input-message.js";
import { loadValidProject, projectSource } from "../../src/project/load-project.js";
import { prepareQuery } from "../../src/query/prepare-query.js";
import { compileSeries, declaredSizes } from "../../src/series/compiled-series.js";
import { deriveSeries } from "../../src/series/derive.js";
import { openDatabase } from "../../src/store/sqlite/open-store.js";
import { registerSeries } from "../../src/store/series-registry.js";
import { claimSizes } from "../../src/store/size-state.js";
import { SAMPLE_PROJECT, tempDir } from "../helpers/cli.js";
import { generateTransactions } from "../helpers/events.js";

describe("the core", () => {
  const written: string[] = [];
  beforeEach(() => {
    written.length = 0;
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    }
    for (const method of ["log", "info", "warn", "error", "debug", "table"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(args.join(" ")));
    }
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`process.exit(${String(code)}) called by the core`);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it("ingests, backfills and queries without printing or exiting", async () => {
    const project = await loadValidProject(projectSource(SAMPLE_PROJECT), { resolvers: true });
    const defs = deriveSeries(project);
    const db = openDatabase(join(tempDir(), "store.db"));
    try {
      const compiled = compileSeries(defs, registerSeries(db, defs, 0));
      claimSizes(db, declaredSizes(compiled));
      const events = generateTransactions({ count: 500, seed: 3 });
      async function* messages(): AsyncGenerator<InputMessage> {
        let line = 0;
        for (const e of events) yield { line: ++line, raw: JSON.stringify(e), value: e };
        yield { line: ++line, raw: "{bad", error: "malformed JSON" };
        yield { line: ++line, raw: "{}", value: { id: 1 } };
      }
      const { summary } = await ingestMessages({ db, project, stream: project.streams.get("transactions")!, series: compiled, messages: messages(), batchSize: 100, onError: "skip", now: () => 0 });
      expect(summary.rowsInserted).toBe(events.length);
      expect(summary.rejected).toBe(2);
      const outcome = await runBackfillJob(db, project, { features: [], series: compiled, source: null, range: { kind: "bounds" } }, { now: () => 0, pid: process.pid });
      expect(outcome.rows).toBe(events.length);
      const result = prepareQuery(db, project, defs, ["user.txn_sum", "user.txn_sum_by_merchant"]).run(["u1", "nobody"], Date.UTC(2024, 2, 1));
      expect(result.rows).toHaveLength(2);
      // An error is thrown, not printed.
      expect(() => prepareQuery(db, project, defs, ["user.nope"])).toThrow();
    } finally {
      db.close();
    }
    expect(written).toEqual([]);
  });
});
