import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { hashScalar } from "../../src/aggregate/scalar-hash.js";
import { REPO, runAgg, tempDir } from "../helpers/cli.js";

/**
 * Golden bytes: what a store holds on disk after a fixed ingest (the row log's text, every
 * aggregation's bucket state and its checksum) and the stored hash of scalars (distinct
 * sketches and top-k summaries keep it). A change to any of these formats makes every
 * existing store unreadable or wrong, so it must be deliberate: bump the store's schema
 * with a migration, then regenerate with AGG_UPDATE_GOLDEN=1 and say so in the commit.
 */
const GOLDEN = join(REPO, "test", "fixtures", "formats", "golden.json");
const DAY = 86_400_000;
const START = Date.UTC(2024, 2, 1);

/** 60 fixed messages over four days for two users, with nulls, repeats and negative amounts. */
function messages(): string {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const amount = i % 7 === 0 ? null : ((i * 37) % 101) - 20 + (i % 3) / 4;
    lines.push(JSON.stringify({ id: `t${i}`, user_id: `u${i % 2}`, merchant_id: `m${i % 5}`, amount, category: i % 4 === 0 ? null : ["food", "bars", "travel"][i % 3], ts: new Date(START + Math.floor((i * 4 * DAY) / 60)).toISOString() }));
  }
  return `${lines.join("\n")}\n`;
}

interface Golden {
  rows: [string, number, string][];
  buckets: [string, number, string, string][];
  hashes: [string, number][];
}

function readStore(): Golden {
  const dir = tempDir();
  cpSync(join(REPO, "test", "fixtures", "projects", "all-aggregations"), join(dir, "features"), { recursive: true });
  const ingest = runAgg(["ingest", "--source", "transactions"], { cwd: dir, input: messages() });
  expect(ingest.code, ingest.stderr).toBe(0);
  const db = new Database(join(dir, ".agg", "store.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT pk, ts, data FROM rows ORDER BY pk").raw(true).all() as [string, number, string][];
    const buckets = db.prepare("SELECT k0, start, hex(state), hex(crc) FROM buckets ORDER BY series_id, bucket_ms, k0, start").raw(true).all() as [string, number, string, string][];
    const scalars: (string | number | boolean)[] = ["", "a", "food", "é", "😀", "m1234567890", 0, 1, -1, 0.5, 1e300, -2.5e-8, 2 ** 53, true, false];
    return { rows, buckets, hashes: scalars.map((v) => [JSON.stringify(v), hashScalar(v)]) };
  } finally {
    db.close();
  }
}

describe("on-disk formats", () => {
  it("are byte for byte the pinned ones (row log text, bucket states and checksums, scalar hashes)", () => {
    const now = readStore();
    if (process.env.AGG_UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, `${JSON.stringify(now, null, 1)}\n`);
    const pinned = JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
    expect(now.rows.length).toBe(60);
    expect(now.buckets.length).toBeGreaterThan(0);
    expect(now.rows).toEqual(pinned.rows);
    expect(now.hashes).toEqual(pinned.hashes);
    expect(now.buckets).toEqual(pinned.buckets);
  });
});
