/**
 * Group keys are arbitrary text (the bad-input corpus stores ids with NUL, emoji and lone
 * surrogates). Two different multi-key groups must never share a bucket, however their
 * keys are spelled: here ("A\0B", "C") and ("A", "B\0C"), which are equal once joined
 * with NUL.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runAgg, tempDir } from "../helpers/cli.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";

const events = [
  { id: "k1", acct: "A\u0000B", shop: "C", x: 4, ts: "2024-03-01T10:00:00Z" },
  { id: "k2", acct: "A", shop: "B\u0000C", x: 8, ts: "2024-03-01T10:00:00Z" },
];

describe("multi-key groups whose keys contain NUL", () => {
  const dir = tempDir("agg-group-keys-");
  const byShop = () => {
    const snapshot = readStore(join(dir, ".agg", "store.db"));
    const series = snapshot.series.find((s) => s.keys.length === 2)!;
    return snapshot.buckets.filter((b) => b.series === series.id).map((b) => ({ keys: b.keys, rows: b.rows, sum: b.values.sum }));
  };
  const expected = [
    { keys: ["A", "B\u0000C"], rows: 1, sum: 8 },
    { keys: ["A\u0000B", "C"], rows: 1, sum: 4 },
  ];

  beforeAll(() => {
    cpSync(join(REPO, "test", "fixtures", "bad-input", "project"), join(dir, "features"), { recursive: true });
    writeFileSync(join(dir, "events.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  });

  it("stay apart when ingested", () => {
    expect(runAgg(["ingest", "--source", "strict", "--file", "events.ndjson"], { cwd: dir }).code).toBe(0);
    expect(byShop()).toEqual(expected);
  });

  // A regression test: at 06d907b, backfill folded rows by `${start}\0${keys.join("\0")}`
  // and merged these two groups into one bucket of 2 rows.
  it("stay apart when backfilled from the row log", () => {
    const backfill = runAgg(["backfill"], { cwd: dir });
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(byShop()).toEqual(expected);
  });
});
