/**
 * Rows a resolver logs without updating buckets (`updatesMaterializedAggregations: false`,
 * the ledger's `ledger_archive`), mixed with a live resolver on the same namespace: the
 * store records them, the materialized-through time M never passes the first of them,
 * every query value stays exact (from buckets and the row log), and a backfill folds them.
 * Checked against plain sums over the raw entries, at every step.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAgg } from "../helpers/cli.js";
import { DAY, HOUR, T0, toNdjsonLines, toMs, type LedgerMessage } from "../fixtures/ingest/ledger-events.js";
import { ledgerWorkspace, sql } from "./backfill-fixture.js";

const entry = (id: string, hours: number, amount: number): LedgerMessage => ({ id, account: "a1", shop: "s1", amount, kind: null, ts: new Date(T0 + hours * HOUR).toISOString() });

interface SeriesRow {
  m: number | null;
  from: number | null;
  to: number | null;
}

describe("rows logged without buckets, beside a live resolver", () => {
  it("M stops before them, values stay exact at every step, and a backfill folds them", () => {
    // Archive: hours 0-9 of day 1 (rows only). Live: hours 12-30. A late archive row at hour 11, after M.
    const archive = Array.from({ length: 10 }, (_, h) => entry(`old${h}`, h, 1 + h));
    const live = Array.from({ length: 19 }, (_, i) => entry(`new${i}`, 12 + i, 100 + i));
    const dir = ledgerWorkspace({ "archive.ndjson": toNdjsonLines(archive), "live.ndjson": toNdjsonLines(live) });
    const series = () => sql<SeriesRow>(dir, "SELECT materialized_through AS m, unfolded_from AS \"from\", unfolded_to AS \"to\" FROM series WHERE id = 1")[0]!;
    const logged: LedgerMessage[] = [];
    const total = (at: number, windowMs: number) => logged.filter((m) => toMs(m.ts) <= at && Math.floor(toMs(m.ts) / HOUR) * HOUR + HOUR > at - windowMs).reduce((a, m) => a + m.amount!, 0);
    const ask = (at: number) => {
      const run = runAgg(["query", "--feature", "account.total__1d__", "--id", "a1", "--at", new Date(at).toISOString(), "--json"], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      const row = (JSON.parse(run.stdout) as { rows: { values: Record<string, number>; status: Record<string, string> }[] }).rows[0]!;
      return { value: row.values["account.total__86400__"]!, status: row.status["account.total__86400__"]! };
    };
    const at = T0 + 30 * HOUR + 30 * 60_000;

    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "archive.ndjson"], { cwd: dir }).code).toBe(0);
    logged.push(...archive);
    // Nothing folded: no M; the span of unfolded rows is recorded; values come from the row log.
    expect(series()).toEqual({ m: null, from: T0, to: T0 + 9 * HOUR });
    expect(ask(T0 + 10 * HOUR)).toEqual({ value: total(T0 + 10 * HOUR, DAY), status: "row_log" });

    expect(runAgg(["ingest", "--source", "ledger", "--file", "live.ndjson"], { cwd: dir }).code).toBe(0);
    logged.push(...live);
    // The live rows are folded, but M may not pass the first unfolded row.
    expect(series()).toEqual({ m: T0, from: T0, to: T0 + 9 * HOUR });
    expect(ask(at)).toEqual({ value: total(at, DAY), status: "row_log" });

    // A late archive row after M lands in the recorded span (it grows), values stay exact.
    const late = [entry("late", 11, 1000)];
    writeLines(dir, "late.ndjson", late);
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "late.ndjson"], { cwd: dir }).code).toBe(0);
    logged.push(...late);
    expect(series()).toEqual({ m: T0, from: T0, to: T0 + 11 * HOUR });
    expect(ask(at)).toEqual({ value: total(at, DAY), status: "row_log" });
    const check = runAgg(["check", "--json"], { cwd: dir });
    expect((JSON.parse(check.stdout) as { needsBackfill: { series: number; reason: string }[] }).needsBackfill.filter((n) => n.series === 1).map((n) => n.reason)).toEqual(["unfolded", "unfolded"]);

    // A backfill over all of them clears the record; M moves to its end; values come from buckets.
    expect(runAgg(["backfill", "--feature", "account.total"], { cwd: dir }).code).toBe(0);
    const after = series();
    expect(after.from).toBeNull();
    expect(after.m).toBe(T0 + 31 * HOUR);
    expect(ask(at)).toEqual({ value: total(at, DAY), status: "present" });

    // An archive row before M now: the buckets of its time no longer claim to be complete.
    const older = [entry("older", 20.5, 5000)];
    writeLines(dir, "older.ndjson", older);
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "older.ndjson"], { cwd: dir }).code).toBe(0);
    logged.push(...older);
    expect(sql<{ f: number; r: string }>(dir, "SELECT filled_from AS f, filled_reason AS r FROM series_sizes WHERE series_id = 1 AND bucket_ms = ?", HOUR)).toEqual([{ f: T0 + 21 * HOUR, r: "unfolded" }]);
    expect(ask(at)).toEqual({ value: total(at, DAY), status: "row_log" });
    expect(runAgg(["backfill", "--feature", "account.total"], { cwd: dir }).code).toBe(0);
    expect(ask(at)).toEqual({ value: total(at, DAY), status: "present" });
  });
});

describe("a backfill up to a boundary, rows logged without buckets after it (the scheduled-backfill workflow)", () => {
  it("moves M to the boundary and keeps the rows after it recorded from there, so the buffer and queries read them", () => {
    const rows = Array.from({ length: 41 }, (_, h) => entry(`r${h}`, h, 1 + h));
    const dir = ledgerWorkspace({ "rows.ndjson": toNdjsonLines(rows) });
    expect(runAgg(["ingest", "--source", "ledger_archive", "--file", "rows.ndjson"], { cwd: dir }).code).toBe(0);
    const boundary = T0 + DAY;
    expect(runAgg(["backfill", "--feature", "account.total", "--upper-bound", new Date(boundary).toISOString()], { cwd: dir }).code).toBe(0);
    expect(sql<SeriesRow>(dir, "SELECT materialized_through AS m, unfolded_from AS \"from\", unfolded_to AS \"to\" FROM series WHERE id = 1")[0]).toEqual({ m: boundary, from: boundary, to: T0 + 40 * HOUR });
    const at = T0 + 40 * HOUR + 1;
    const run = runAgg(["query", "--feature", "account.total__1d__", "--id", "a1", "--at", new Date(at).toISOString(), "--json"], { cwd: dir });
    const row = (JSON.parse(run.stdout) as { rows: { values: Record<string, number>; status: Record<string, string> }[] }).rows[0]!;
    const expected = rows.filter((m) => toMs(m.ts) <= at && Math.floor(toMs(m.ts) / HOUR) * HOUR + HOUR > at - DAY).reduce((a, m) => a + m.amount!, 0);
    expect(row.values["account.total__86400__"]).toBe(expected);
    expect(row.status["account.total__86400__"]).toBe("row_log");
  });
});

function writeLines(dir: string, name: string, entries: readonly LedgerMessage[]): void {
  writeFileSync(join(dir, name), toNdjsonLines(entries));
}
