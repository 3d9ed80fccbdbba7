/**
 * `agg offline-query` through the built binary: serving values equal `agg query --at`
 * (every row against the typed API's query, some rows against the CLI itself), the output
 * formats (CSV with group-by values as JSON text, NDJSON, a Parquet round trip), bad
 * spine rows by line, the summary, and usage errors.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects, parquetSchema, parquetMetadataAsync } from "hyparquet";
import { parquetWriteFile } from "hyparquet-writer";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/client/index.js";
import type { AggStore } from "../../src/client/agg-store.js";
import { runAgg, startAgg, writeFiles } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";
import { DAY, START, ingestedWorkspace, makeSpine, type Workspace } from "../unit/offline-query/offline-fixture.js";

const FEATURES = ["user.txn_sum", "user.txn_mean", "user.food_spend__3600__", "user.txn_sum_by_merchant"];
const featureArgs = FEATURES.flatMap((f) => ["--feature", f]);
let ws: Workspace;
let store: AggStore;
beforeAll(async () => {
  ws = ingestedWorkspace(2500, 12);
  store = await openStore({ project: ws.project, store: ws.store });
});
afterAll(() => store?.close());

const iso = (ms: number) => new Date(ms).toISOString();
const csvSpine = (rows: { id: string; at: number; label: number }[]) => `user_id,ts,note\n${rows.map((r) => `${r.id},${iso(r.at)},"label ${r.label}, ""quoted"""`).join("\n")}\n`;
const run = (args: string[]) => runAgg(["offline-query", ...args], { cwd: ws.dir });
const ndjson = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);

describe("agg offline-query", () => {
  it("serving mode equals agg query --at, row by row", async () => {
    const spine = makeSpine(ws.txns, 300, 22, "u", 21);
    writeFiles(ws.dir, { "spine.csv": csvSpine(spine) });
    const result = run(["--spine", "spine.csv", "--id-column", "user_id", "--time-column", "ts", ...featureArgs, "--format", "ndjson"]);
    expect(result.code, result.stderr).toBe(0);
    const rows = ndjson(result.stdout);
    expect(rows).toHaveLength(300);
    const columns = Object.keys(rows[0]!);
    expect(columns).toEqual(["user_id", "ts", "note", "user.txn_sum__86400__", "user.txn_sum__604800__", "user.txn_sum__2592000__", "user.txn_mean__2592000__", "user.food_spend__3600__", "user.txn_sum_by_merchant__2592000__"]);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      expect(row.user_id).toBe(spine[i]!.id);
      expect(row.note).toBe(`label ${spine[i]!.label}, "quoted"`);
      const served = await store.query({ features: FEATURES, ids: [spine[i]!.id], at: spine[i]!.at });
      expect(Object.fromEntries(columns.slice(3).map((c) => [c, row[c]]))).toEqual(JSON.parse(JSON.stringify(served.rows[0]!.values)));
    }
    // And against the CLI itself, for a few rows (each `agg query` is a process).
    for (const i of [0, 37, 101, 222, 299]) {
      const query = runAgg(["query", ...featureArgs, "--id", spine[i]!.id, "--at", iso(spine[i]!.at), "--json"], { cwd: ws.dir });
      expect(query.code, query.stderr).toBe(0);
      const values = (JSON.parse(query.stdout) as { rows: { values: Record<string, unknown> }[] }).rows[0]!.values;
      expect(Object.fromEntries(columns.slice(3).map((c) => [c, rows[i]![c]]))).toEqual(values);
    }
    expect(result.stderr).toMatch(/^offline-query: 300 rows \(\d+ entities\) x 6 feature columns in [\d.]+s .*mode serving\n  rows with a default value: \d+, with a partial value: \d+\n  written to stdout/);
  });

  it("writes CSV: spine cells as read, numbers as JSON, null empty, group-by values as JSON text", () => {
    writeFiles(ws.dir, { "one.csv": `user_id,ts,note\nu1,${iso(START + 20 * DAY)},"a, b"\nnobody,${iso(START + 20 * DAY)},""\n` });
    const result = run(["--spine", "one.csv", "--id-column", "user_id", "--time-column", "ts", "--feature", "user.txn_mean", "--feature", "user.txn_sum_by_merchant", "--out", "one-out.csv"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = readFileSync(join(ws.dir, "one-out.csv"), "utf8").split("\n");
    expect(lines[0]).toBe("user_id,ts,note,user.txn_mean__2592000__,user.txn_sum_by_merchant__2592000__");
    expect(lines[1]).toMatch(/^u1,2024-02-21T00:00:00.000Z,"a, b",-?[\d.]+,"\{""m\d"":-?[\d.]+(,""m\d"":-?[\d.]+)*\}"$/);
    expect(lines[2]).toBe(`nobody,2024-02-21T00:00:00.000Z,"",,{}`);
    expect(lines[3]).toBe("");
  });

  it("round-trips Parquet: typed spine columns pass through, features as DOUBLE and group-by as JSON text", async () => {
    const spine = makeSpine(ws.txns, 120, 20, "u", 5);
    const inPath = join(ws.dir, "spine.parquet");
    parquetWriteFile({
      filename: inPath,
      columnData: [
        { name: "user", data: spine.map((r) => r.id), type: "STRING" },
        { name: "when", data: spine.map((r) => new Date(r.at)), type: "TIMESTAMP" },
        { name: "label", data: spine.map((r) => r.label), type: "INT32" },
        { name: "weight", data: spine.map((r, i) => (i % 3 === 0 ? null : r.label + 0.5)), type: "DOUBLE" },
        { name: "big", data: spine.map((_, i) => 2n ** 60n + BigInt(i)), type: "INT64" },
      ],
    });
    const result = run(["--spine", "spine.parquet", "--id-column", "user", "--time-column", "when", ...featureArgs, "--out", "out.parquet", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ rows: 120, features: 6, skipped: 0, format: "parquet", mode: "serving" });
    const file = await asyncBufferFromFile(join(ws.dir, "out.parquet"));
    const metadata = await parquetMetadataAsync(file);
    const schema = parquetSchema(metadata).children.map((c) => [c.element.name, c.element.type]);
    expect(schema).toEqual([["user", "BYTE_ARRAY"], ["when", "INT64"], ["label", "INT32"], ["weight", "DOUBLE"], ["big", "INT64"], ["user.txn_sum__86400__", "DOUBLE"], ["user.txn_sum__604800__", "DOUBLE"], ["user.txn_sum__2592000__", "DOUBLE"], ["user.txn_mean__2592000__", "DOUBLE"], ["user.food_spend__3600__", "DOUBLE"], ["user.txn_sum_by_merchant__2592000__", "BYTE_ARRAY"]]);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(120);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      expect([row.user, (row.when as Date).getTime(), row.label, row.weight, row.big]).toEqual([spine[i]!.id, spine[i]!.at, spine[i]!.label, i % 3 === 0 ? null : spine[i]!.label + 0.5, 2n ** 60n + BigInt(i)]);
      const served = (await store.query({ features: FEATURES, ids: [spine[i]!.id], at: spine[i]!.at })).rows[0]!.values;
      expect(row["user.txn_sum__604800__"]).toBe(served["user.txn_sum__604800__"]);
      expect(row["user.txn_mean__2592000__"]).toBe(served["user.txn_mean__2592000__"]);
      expect(JSON.parse(row["user.txn_sum_by_merchant__2592000__"] as string)).toEqual(served["user.txn_sum_by_merchant__2592000__"]);
    }
  });

  it("reads compressed Parquet spines (GZIP, Brotli pages), as writers other than hyparquet make them", async () => {
    const spine = makeSpine(ws.txns, 40, 21, "u", 5);
    const columnData = [
      { name: "user", data: spine.map((r) => r.id), type: "STRING" as const },
      { name: "when", data: spine.map((r) => new Date(r.at)), type: "TIMESTAMP" as const },
    ];
    const codecs = { GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)), BROTLI: (bytes: Uint8Array) => new Uint8Array(brotliCompressSync(bytes)) };
    for (const codec of ["GZIP", "BROTLI"] as const) {
      parquetWriteFile({ filename: join(ws.dir, `spine-${codec}.parquet`), columnData, codec, compressors: codecs });
      const result = run(["--spine", `spine-${codec}.parquet`, "--id-column", "user", "--time-column", "when", "--feature", "user.txn_sum__604800__", "--format", "ndjson"]);
      expect(result.code, `${codec}: ${result.stderr}`).toBe(0);
      const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rows).toHaveLength(40);
      for (let i = 0; i < rows.length; i++) {
        const served = (await store.query({ features: ["user.txn_sum__604800__"], ids: [spine[i]!.id], at: spine[i]!.at })).rows[0]!.values;
        expect(rows[i]!.user).toBe(spine[i]!.id);
        expect(rows[i]!["user.txn_sum__604800__"]).toBe(served["user.txn_sum__604800__"]);
      }
    }
  });

  it("reads NDJSON spines with epoch seconds, keeping each row's own keys", () => {
    const at = Math.floor((START + 15 * DAY) / 1000);
    writeFiles(ws.dir, { "spine.ndjson": `{"uid":"u2","t":${at},"meta":{"a":[1,2]}}\n\n{"uid":3,"t":"${at}"}\n` });
    const result = run(["--spine", "spine.ndjson", "--id-column", "uid", "--time-column", "t", "--feature", "user.txn_count__86400__"]);
    expect(result.code, result.stderr).toBe(0);
    // CSV of the union of keys; the number 3 is the id "3".
    expect(result.stdout.split("\n")[0]).toBe("uid,t,meta,user.txn_count__86400__");
    expect(result.stdout.split("\n")[1]).toMatch(/^u2,\d+,"\{""a"":\[1,2\]\}",\d+$/);
    const nd = run(["--spine", "spine.ndjson", "--id-column", "uid", "--time-column", "t", "--feature", "user.txn_count__86400__", "--format", "ndjson"]);
    expect(ndjson(nd.stdout).map((r) => Object.keys(r))).toEqual([["uid", "t", "meta", "user.txn_count__86400__"], ["uid", "t", "user.txn_count__86400__"]]);
  });

  it("exact mode and --exclude-at-time: a spine row on an event counts it, or not", () => {
    const t = ws.txns.find((x) => x.user_id === "u4")!;
    const others = ws.txns.filter((x) => x.user_id === "u4" && x.ts === t.ts).reduce((a, x) => a + x.amount, 0);
    writeFiles(ws.dir, { "on-event.csv": `user_id,ts\nu4,${t.ts}\n` });
    const args = ["--spine", "on-event.csv", "--id-column", "user_id", "--time-column", "ts", "--feature", "user.txn_sum__86400__", "--mode", "exact", "--format", "ndjson"];
    const included = ndjson(run(args).stdout)[0]!["user.txn_sum__86400__"] as number;
    const excluded = ndjson(run([...args, "--exclude-at-time"]).stdout)[0]!["user.txn_sum__86400__"] as number;
    expect(Math.abs(included - excluded - others)).toBeLessThan(1e-6);
  });

  it("reports a bad spine row by line and writes nothing (exit 3), or skips and counts bad rows", () => {
    writeFiles(ws.dir, { "bad.csv": `user_id,ts\nu1,${iso(START + 5 * DAY)}\n,${iso(START + 5 * DAY)}\nu2,${iso(START + 6 * DAY)}\nu3,yesterday\nu4,${iso(START + 7 * DAY)}\n` });
    const args = ["--spine", "bad.csv", "--id-column", "user_id", "--time-column", "ts", "--feature", "user.txn_sum", "--out", "bad-out.csv"];
    const failed = run(args);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('error: line 3 of bad.csv: no id in column "user_id"');
    expect(failed.stderr).toContain("--on-error skip");
    expect(existsSync(join(ws.dir, "bad-out.csv"))).toBe(false);
    const skipped = run([...args, "--on-error", "skip", "--json"]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain('skipped line 3: no id in column "user_id"');
    expect(skipped.stderr).toMatch(/skipped line 5: column "ts": invalid time "yesterday"/);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ rows: 3, skipped: 2 });
    expect(readFileSync(join(ws.dir, "bad-out.csv"), "utf8").trim().split("\n").map((l) => l.split(",")[0])).toEqual(["user_id", "u1", "u2", "u4"]);
  });

  it("usage errors exit 2 before the spine is read", () => {
    writeFiles(ws.dir, { "s.csv": `user_id,ts\nu1,${iso(START)}\n` });
    const base = ["--spine", "s.csv", "--id-column", "user_id", "--time-column", "ts"];
    const cases: [string[], RegExp][] = [
      [[...base, "--feature", "user.txn_summ"], /no windowed feature user\.txn_summ[\s\S]*did you mean user\.txn_sum/],
      [[...base, "--feature", "user.txn_sum", "--exclude-at-time"], /--exclude-at-time needs --mode exact/],
      [[...base, "--feature", "user.txn_sum", "--json"], /--json needs --out/],
      [["--spine", "s.csv", "--id-column", "uid", "--time-column", "ts", "--feature", "user.txn_sum"], /--id-column uid: the spine has no such column[\s\S]*"user_id", "ts"/],
      [["--spine", "nope.csv", "--id-column", "u", "--time-column", "t", "--feature", "user.txn_sum"], /--spine nope\.csv: no such file/],
      [[...base, "--feature", "user.txn_sum", "--out", "x.txt"], /cannot tell the format/],
      [base, /needs at least one --feature/],
    ];
    for (const [args, message] of cases) {
      const result = run(args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      // With --json an error is JSON on stdout.
      expect(result.stderr + result.stdout).toMatch(message);
    }
    writeFileSync(join(ws.dir, "not.parquet"), "not parquet at all");
    const notParquet = run(["--spine", "not.parquet", "--id-column", "u", "--time-column", "t", "--feature", "user.txn_sum"]);
    expect(notParquet.code).toBe(3);
    expect(notParquet.stderr).toContain("not a readable Parquet file");
  });

  it("runs beside an ingest that is writing to the same store", async () => {
    const more = generateTransactions({ count: 30_000, seed: 77, users: 20, merchants: 5, start: START, spanMs: 40 * DAY }).map((t) => ({ ...t, id: `late-${t.id}` }));
    writeFiles(ws.dir, { "more.ndjson": toNdjson(more), "beside.csv": csvSpine(makeSpine(ws.txns, 2000, 22, "u", 31)) });
    const ingest = startAgg(["ingest", "--source", "transactions", "--file", "more.ndjson", "--batch-size", "500"], { cwd: ws.dir });
    const ingested = new Promise<number>((resolve) => ingest.on("exit", (code) => resolve(code ?? -1)));
    let runs = 0;
    let ingestDone = false;
    void ingested.then(() => (ingestDone = true));
    // Query while the ingest commits batch after batch (at least once, however fast it is).
    do {
      const result = run(["--spine", "beside.csv", "--id-column", "user_id", "--time-column", "ts", ...featureArgs, "--out", "beside.ndjson", "--json"]);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2000 });
      runs++;
      await new Promise((resolve) => setImmediate(resolve));
    } while (!ingestDone && runs < 5);
    expect(await ingested).toBe(0);
  });
});
