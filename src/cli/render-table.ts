import Table from "cli-table3";
import type { Io } from "./io.js";

/**
 * Rows cli-table3 lays out itself. It takes time quadratic in the rows (each cell is
 * checked against every row above it for spans) plus about 100 us a row, and spreads the
 * rows into one call (which overflows the stack past ~100k): 100,000 ids took 54 s in
 * chunks of 10,000, 1,000,000 took 9.5 minutes.
 */
const LAID_OUT = 1_000;

/** Printable ASCII: one column per character, nothing cli-table3 treats specially. */
const PLAIN = /^[\x20-\x7e]*$/;

/** Lines `writeTable` hands its writer at a time. */
const WRITTEN = 10_000;

/** A plain table (no borders inside rows), bold headers when colors are on. */
export function renderTable(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  if (rows.length <= LAID_OUT) return tableOf(io, head, rows).toString();
  const lines: string[] = [];
  largeTable(io, head, rows, (line) => lines.push(line));
  return lines.join("\n");
}

/**
 * `renderTable`, handed to `write` a slice of lines at a time (each without its last line
 * break): a table of a million rows is never one string.
 */
export function writeTable(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[], write: (text: string) => void): void {
  if (rows.length <= LAID_OUT) return write(tableOf(io, head, rows).toString());
  let lines: string[] = [];
  largeTable(io, head, rows, (line) => {
    if (lines.push(line) < WRITTEN) return;
    write(lines.join("\n"));
    lines = [];
  });
  if (lines.length > 0) write(lines.join("\n"));
}

/**
 * The table cli-table3 would draw, for any number of rows: cli-table3 draws the header,
 * the borders and every row with a cell that is not plain ASCII (wide characters,
 * escapes, line breaks), at the widths of the widest cells; plain rows are drawn here as
 * it draws them (left-aligned, one space of padding on either side, `│` between cells).
 */
function largeTable(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[], emit: (line: string) => void): void {
  const widths = widthsOf(io, head, []);
  const plain = rows.map((row) => row.every((cell) => PLAIN.test(String(cell))));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const measured = plain[r] ? null : widthsOf(io, head, [row]);
    for (let c = 0; c < widths.length; c++) widths[c] = Math.max(widths[c]!, measured === null ? String(row[c] ?? "").length + 2 : measured[c]!);
  }
  // Top border, header line(s), separator, one empty row, bottom border.
  const frame = tableOf(io, head, [head.map(() => "")], widths).toString().split("\n");
  const above = frame.length - 2;
  for (let k = 0; k < above; k++) emit(frame[k]!);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (plain[r]) {
      let line = "│";
      for (let c = 0; c < widths.length; c++) {
        const cell = String(row[c] ?? "");
        line += ` ${cell}${" ".repeat(widths[c]! - 1 - cell.length)}│`;
      }
      emit(line);
    } else {
      const lines = tableOf(io, head, [row], widths).toString().split("\n");
      for (let k = above; k < lines.length - 1; k++) emit(lines[k]!);
    }
  }
  emit(frame[frame.length - 1]!);
}

/** The column widths cli-table3 gives `head` and `rows` (padding included). */
function widthsOf(io: Io, head: readonly string[], rows: readonly (readonly (string | number)[])[]): number[] {
  const table = tableOf(io, head, rows);
  table.toString(); // lays it out: colWidths now holds each column's width
  return head.map((_, c) => table.options.colWidths[c] ?? 0);
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
