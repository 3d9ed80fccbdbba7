/**
 * `agg query --ids-file` with a million ids (it crashed past ~125k with "Maximum call
 * stack size exceeded", and the table took minutes): most ids are unknown, a few are
 * users with rows, whose values are checked against sums computed here from the events.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson, type TestTransaction } from "../helpers/events.js";

const DAY = 86_400_000;
const UNKNOWN = 1_000_000;
const T = Date.UTC(2024, 1, 8, 12);
const WINDOWS = [1, 7, 30].map((d) => d * DAY);

/** Runs agg with stdout to a file (a million rows of JSON are more than a pipe buffer should hold). */
function runToFile(dir: string, args: readonly string[], file: string) {
  const fd = openSync(join(dir, file), "w");
  try {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, stdio: ["ignore", fd, "pipe"], encoding: "utf8", env: { ...process.env, NO_COLOR: "1", AGG_PROJECT: "", AGG_STORE: "", CI: "1" } });
    return { code: result.status, stderr: result.stderr };
  } finally {
    closeSync(fd);
  }
}

/** user.txn_sum at T, window W: the rows of every 1d bucket overlapping (T - W, T], up to T. */
function expectedSum(events: readonly TestTransaction[], user: string, windowMs: number): number {
  const from = T - windowMs - ((T - windowMs) % DAY);
  let cents = 0;
  for (const e of events) {
    const ts = Date.parse(e.ts);
    if (e.user_id === user && ts >= from && ts <= T) cents += Math.round(e.amount * 100);
  }
  return cents;
}

describe("agg query --ids-file with a million ids", () => {
  const dir = sampleWorkspace();
  // 10 days of events: no bucket is past retention, so the known values come from buckets.
  const events = generateTransactions({ count: 4_000, seed: 11, users: 12, merchants: 4, start: Date.UTC(2024, 1, 1), spanMs: 10 * DAY });
  const known = Array.from({ length: 12 }, (_, i) => `u${i}`);
  const order: string[] = [];

  beforeAll(() => {
    writeFileSync(join(dir, "events.ndjson"), toNdjson(events));
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    // Known users spread through a million unknown ids (the first, the last, every ~83k), some twice, a CRLF line.
    const lines: string[] = [];
    for (let i = 0; i < UNKNOWN; i++) {
      if (i % 83_000 === 0) lines.push(known[(i / 83_000) % known.length]!);
      lines.push(`nobody-${i}`);
    }
    lines.push("u3", "u0\r", "");
    writeFileSync(join(dir, "ids.txt"), lines.join("\n"));
    const seen = new Set<string>();
    for (const line of lines) {
      const id = line.replace(/\r$/, "");
      if (id !== "" && !seen.has(id)) (seen.add(id), order.push(id));
    }
  });

  it("--json: one row per distinct id, in order; known users equal the independent sums", () => {
    const run = runToFile(dir, ["query", "--feature", "user.txn_sum", "--ids-file", "ids.txt", "--at", new Date(T).toISOString(), "--json"], "out.json");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("Maximum call stack");
    const out = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as { rows: { id: string; values: Record<string, number>; status: Record<string, string> }[] };
    expect(out.rows.length).toBe(UNKNOWN + known.length);
    expect(out.rows.length).toBe(order.length);
    for (let k = 0; k < order.length; k++) if (out.rows[k]!.id !== order[k]) expect(out.rows[k]!.id).toBe(order[k]);
    let checked = 0;
    for (const row of out.rows) {
      const windows = WINDOWS.map((w) => `user.txn_sum__${w / 1000}__`);
      if (!row.id.startsWith("u")) {
        if (row.values[windows[0]!] !== 0 || row.status[windows[0]!] !== "default") expect(row).toMatchObject({ values: { [windows[0]!]: 0 }, status: { [windows[0]!]: "default" } });
        continue;
      }
      WINDOWS.forEach((w, i) => {
        expect(Math.round(row.values[windows[i]!]! * 100), `${row.id} ${windows[i]}`).toBe(expectedSum(events, row.id, w));
        // T is inside a bucket that holds later rows: that bucket is read from the row log, up to T.
        expect(["present", "row_log"]).toContain(row.status[windows[i]!]);
      });
      checked++;
    }
    expect(checked).toBe(known.length);
  });

  it("table: a million rows, the known users' cells equal the independent sums", () => {
    const run = runToFile(dir, ["query", "--feature", 'user.txn_sum["1d"]', "--ids-file", "ids.txt", "--at", new Date(T).toISOString()], "out.txt");
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(dir, "out.txt"), "utf8").split("\n");
    // Top border, header, separator, the rows, bottom border, and the last line break.
    expect(lines.length).toBe(order.length + 5);
    expect(lines[1]).toMatch(/^│ id +│ user\.txn_sum__86400__ │$/);
    const cells = new Map(lines.slice(3, -2).map((line) => line.split("│").map((c) => c.trim())).map(([, id, value]) => [id!, value!]));
    expect(cells.size).toBe(order.length);
    expect(cells.get("nobody-0")).toBe("0");
    expect(cells.get(`nobody-${UNKNOWN - 1}`)).toBe("0");
    for (const user of known) expect(Math.round(Number(cells.get(user)) * 100), user).toBe(expectedSum(events, user, DAY));
  });
});
