import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestMessages } from "../../../src/ingest/ingest-messages.js";
import type { InputMessage } from "../../../src/ingest/input-message.js";
import { loadValidProject, projectSource } from "../../../src/project/load-project.js";
import type { Project } from "../../../src/project/model.js";
import { compileSeries } from "../../../src/series/compiled-series.js";
import { deriveSeries } from "../../../src/series/derive.js";
import { openDatabase, type Db } from "../../../src/store/sqlite/open-store.js";
import { registerSeries } from "../../../src/store/series-registry.js";
import { ledgerInput, type LedgerMessage } from "../../fixtures/ingest/ledger-events.js";
import { readStore, type StoreSnapshot } from "../../fixtures/ingest/store-snapshot.js";
import { REPO, tempDir } from "../../helpers/cli.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");
let project: Project;

beforeAll(async () => {
  project = await loadValidProject(projectSource(LEDGER), { resolvers: true });
});

/** Yields the messages one by one, letting other work run between them. */
async function* feed(messages: readonly LedgerMessage[]): AsyncGenerator<InputMessage> {
  let line = 0;
  for (const m of messages) {
    await new Promise((resolve) => setImmediate(resolve));
    yield { line: ++line, raw: JSON.stringify(m), value: m };
  }
}

function ingest(db: Db, messages: readonly LedgerMessage[], options: { batchSize: number; cacheLimit?: number; openLimit?: number }) {
  const defs = deriveSeries(project);
  return ingestMessages({
    db,
    project,
    stream: project.streams.get("ledger")!,
    series: compileSeries(defs, registerSeries(db, defs, 0)),
    messages: feed(messages),
    batchSize: options.batchSize,
    onError: "fail",
    now: () => 0,
    ...(options.cacheLimit !== undefined && { cacheLimit: options.cacheLimit }),
    ...(options.openLimit !== undefined && { openLimit: options.openLimit }),
  });
}

async function cleanRun(messages: readonly LedgerMessage[]): Promise<StoreSnapshot> {
  const path = join(tempDir(), "store.db");
  const db = openDatabase(path);
  await ingest(db, messages, { batchSize: 1_000_000 });
  db.close();
  return readStore(path);
}

describe("bucket states kept between batches", () => {
  // Six days of entries in random order, with re-sends and replacements: most batches fold
  // into buckets an earlier batch wrote, and many land before the newest bucket.
  const { messages } = ledgerInput(21, 900);

  it("give the store one transaction gives, whether the cache holds every bucket or almost none", async () => {
    const clean = await cleanRun(messages);
    for (const cacheLimit of [1_000_000, 7, 0]) {
      const path = join(tempDir(), "store.db");
      const db = openDatabase(path);
      await ingest(db, messages, { batchSize: 23, cacheLimit });
      db.close();
      const store = readStore(path);
      expect(store.rows).toEqual(clean.rows);
      // Folded in the same order, so the same bytes, not only the same values.
      expect(store.states, `cache limit ${cacheLimit}`).toEqual(clean.states);
      expect(store.buckets).toEqual(clean.buckets);
      expect(store.series).toEqual(clean.series);
    }
  });

  it("give the same store when a long transaction writes its open buckets early (openLimit)", async () => {
    // More than one slice of 2,000 rows per transaction, so the limit is checked inside it.
    const { messages: many } = ledgerInput(22, 5_000);
    const clean = await cleanRun(many);
    for (const openLimit of [50, 0]) {
      const path = join(tempDir(), "store.db");
      const db = openDatabase(path);
      await ingest(db, many, { batchSize: 1_000_000, openLimit });
      db.close();
      const store = readStore(path);
      expect(store.rows).toEqual(clean.rows);
      expect(store.states, `open limit ${openLimit}`).toEqual(clean.states);
      expect(store.buckets).toEqual(clean.buckets);
      expect(store.series).toEqual(clean.series);
    }
  });

  it("are read again when another connection wrote in between: two interleaved ingests equal one", async () => {
    // Split by id, so every re-send stays after its original, in one half.
    const half = (odd: number) => messages.filter((m) => Number(m.id.replace(/\D/g, "")) % 2 === odd);
    const path = join(tempDir(), "store.db");
    const [a, b] = [openDatabase(path), openDatabase(path)];
    const [ra, rb] = await Promise.all([ingest(a, half(0), { batchSize: 5 }), ingest(b, half(1), { batchSize: 7 })]);
    a.close();
    b.close();
    expect(ra.summary.rowsInserted + rb.summary.rowsInserted).toBeGreaterThan(800);
    const store = readStore(path);
    const clean = await cleanRun([...half(0), ...half(1)]);
    expect(store.rows).toEqual(clean.rows);
    expect(store.buckets).toEqual(clean.buckets);
    expect(store.series).toEqual(clean.series);
  });

  it("stop feeding a size once another process recorded another layout for it", async () => {
    const path = join(tempDir(), "store.db");
    const db = openDatabase(path);
    const other = openDatabase(path);
    let changed = false;
    async function* withChange(): AsyncGenerator<InputMessage> {
      let line = 0;
      for await (const m of feed(messages)) {
        // Half way: "another process" re-fills series 1's 1h buckets for another definition.
        if (++line === 450) {
          other.prepare("UPDATE series_sizes SET layout = 'another definition' WHERE series_id = 1 AND bucket_ms = 3600000").run();
          changed = true;
        }
        yield m;
      }
    }
    const defs = deriveSeries(project);
    let frozen: string | null = null;
    const { summary } = await ingestMessages({
      db,
      project,
      stream: project.streams.get("ledger")!,
      series: compileSeries(defs, registerSeries(db, defs, 0)),
      messages: withChange(),
      batchSize: 50,
      onError: "fail",
      now: () => 0,
      onProgress: () => {
        // The batch after the change leaves the size's buckets exactly as they were.
        if (changed && frozen === null) frozen = hourBuckets(other);
      },
    });
    expect(frozen).not.toBeNull();
    expect(hourBuckets(other)).toBe(frozen);
    expect(summary.needsBackfill).toEqual([{ series: 1, bucket: "1h", features: expect.arrayContaining(["account.total"]) as unknown, reason: expect.stringContaining("another definition") as unknown }]);
    db.close();
    other.close();
  });
});

function hourBuckets(db: Db): string {
  return JSON.stringify(db.prepare("SELECT k0, start, rows, hex(state) AS state FROM buckets WHERE series_id = 1 AND bucket_ms = 3600000 ORDER BY k0, start").all());
}
