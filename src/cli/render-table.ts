import Table from "cli-table3";
import type { Io } from "./io.js";

/** Rows cli-table3 lays out at once: it spreads every row into one call, which overflows the stack past ~100k. */
const CHUNK = 10_000;

/** A plain table (no borders inside rows), bold headers when colors are on. */
export function renderTable(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  if (rows.length <= CHUNK) return tableOf(io, head, rows).toString();
  // In chunks of the same column widths (the widest of any chunk), glued into one table.
  const widths: number[] = head.map(() => 0);
  for (let i = 0; i < rows.length; i += CHUNK) {
    const table = tableOf(io, head, rows.slice(i, i + CHUNK));
    table.toString(); // lays it out: colWidths now holds each column's width
    table.options.colWidths.forEach((w, c) => (widths[c] = Math.max(widths[c] ?? 0, w ?? 0)));
  }
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const lines = tableOf(io, head, rows.slice(i, i + CHUNK), widths).toString().split("\n");
    // Each chunk is top border, head, separator, rows, bottom border: keep one head and one bottom.
    const from = i === 0 ? 0 : 3;
    const to = i + CHUNK >= rows.length ? lines.length : lines.length - 1;
    for (let k = from; k < to; k++) out.push(lines[k]!);
  }
  return out.join("\n");
}

function tableOf(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[], colWidths?: number[]): Table.Table {
  const table = new Table({
    head: head.map((h) => io.color.bold(h)),
    style: { head: [], border: [], compact: true },
    ...(colWidths === undefined ? {} : { colWidths }),
  });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return table;
}
