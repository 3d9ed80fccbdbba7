import Table from "cli-table3";
import type { Io } from "./io.js";

/** A plain table (no borders inside rows), bold headers when colors are on. */
export function renderTable(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const table = new Table({
    head: head.map((h) => io.color.bold(h)),
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return table.toString();
}
