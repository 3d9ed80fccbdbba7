/**
 * Tables past the size cli-table3 lays out itself (it is quadratic in the rows) are
 * drawn row by row: the text must be the one table cli-table3 draws, with plain cells
 * and with cells it measures itself (wide characters, escapes, line breaks).
 */
import { Chalk } from "chalk";
import Table from "cli-table3";
import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/io.js";
import { renderTable, writeTable } from "../../src/cli/render-table.js";
import { prng } from "../helpers/events.js";

function ioWith(level: 0 | 1): Io {
  const chalk = new Chalk({ level });
  return { out: () => undefined, err: () => undefined, interactive: false, color: chalk, env: {}, cwd: "/", now: () => 0 };
}

/** What cli-table3 draws for the whole table at once. */
function reference(io: Io, head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({ head: head.map((h) => io.color.bold(h)), style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

const ODD = ["日本語", "e\u0301", "tab\there", "two\nlines", "\u001b[31mred\u001b[39m", "emoji 🎉", "", " lead", "trail ", "|pipe|"];

function rowsOf(count: number, seed: number, odd: boolean): string[][] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const id = odd && random() < 0.05 ? ODD[Math.floor(random() * ODD.length)]! : `u${i}`;
    const wide = random() < 0.01 ? "x".repeat(40) : String(Math.round(random() * 1e6) / 100);
    return [id, wide, random() < 0.1 ? "null" : "m1=1.5 m2=3"];
  });
}

describe("renderTable", () => {
  const head = ["id", "user.txn_sum__86400__", "user.txn_sum_by_merchant__2592000__"];

  it.each([
    ["plain cells, no colors", 0, false],
    ["plain cells, bold headers", 1, false],
    ["wide, combining, control and escaped cells", 0, true],
    ["odd cells with bold headers", 1, true],
  ] as const)("past the laid-out size, draws what cli-table3 draws: %s", (_, level, odd) => {
    const io = ioWith(level);
    const rows = rowsOf(1_500, 7 + level, odd);
    expect(renderTable(io, head, rows)).toBe(reference(io, head, rows));
  });

  it("writeTable hands over the same text in slices of lines", () => {
    const io = ioWith(0);
    const rows = rowsOf(25_000, 3, true);
    const parts: string[] = [];
    writeTable(io, head, rows, (text) => parts.push(text));
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.join("\n")).toBe(renderTable(io, head, rows));
  });

  it("draws a million rows in seconds, without overflowing the stack", () => {
    const io = ioWith(0);
    const rows = Array.from({ length: 1_000_000 }, (_, i) => [`id${i}`, String(i % 977), "0"]);
    const started = Date.now();
    let lines = 0;
    writeTable(io, head, rows, (text) => (lines += text.split("\n").length));
    expect(lines).toBe(1_000_000 + 4);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
