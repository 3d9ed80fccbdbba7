import { AggError } from "../errors.js";
import { CsvRecordParser, type CsvRecord } from "./csv-record-parser.js";
import { DEFAULT_LIMITS, type InputLimits } from "./input-limits.js";
import type { InputMessage } from "./input-message.js";
import { readLines } from "./read-lines.js";

/**
 * CSV messages: a header row names the columns, each later record becomes an object of
 * text cells (`cells: true` lets validation read "12.5" as a number where the schema
 * wants one). Blank lines are skipped. A record with the wrong number of cells or a stray
 * quote, or a line that is not UTF-8, is a message with an error, reported with the line
 * it starts on.
 */
export async function* readCsv(input: AsyncIterable<Uint8Array | string>, limits: Pick<InputLimits, "maxRecordBytes" | "maxColumns"> = DEFAULT_LIMITS): AsyncGenerator<InputMessage> {
  const parser = new CsvRecordParser();
  let header: readonly string[] | null = null;
  let headerLine = 0;
  const toMessage = (record: CsvRecord): InputMessage | null => {
    if (header === null) {
      header = checkHeader(record, limits.maxColumns);
      headerLine = record.line;
      return null;
    }
    if (record.error !== null) return { line: record.line, raw: record.raw, error: `malformed CSV: ${record.error}` };
    if (record.cells.length !== header.length) {
      return { line: record.line, raw: record.raw, error: `malformed CSV: ${record.cells.length} cells, but the header on line ${headerLine} has ${header.length} columns` };
    }
    // No prototype: a column named "__proto__" is a cell like any other (as in JSON.parse).
    const value: Record<string, string | null> = Object.create(null);
    header.forEach((name, i) => (value[name] = record.cells[i] ?? null));
    return { line: record.line, raw: record.raw, value, cells: true };
  };
  // The first line of the open record that is not UTF-8: the whole record is rejected.
  let badLine: { line: number; error: string } | null = null;
  const complete = (record: CsvRecord | null): InputMessage | null => {
    if (record === null) return null;
    const bad = badLine;
    badLine = null;
    if (bad === null) return toMessage(record);
    const error = bad.line === record.line ? bad.error : `line ${bad.line}: ${bad.error}`;
    if (header === null) throw headerError(record, `is malformed: ${error}`);
    return { line: record.line, raw: record.raw, error };
  };
  // Bytes of the open record's lines (a quoted cell may hold line breaks); one line is bounded by readLines.
  let recordBytes = 0;
  for await (const { line, text, error, tooLong } of readLines(input, limits.maxRecordBytes)) {
    // Where the next record starts is unknown after an unread line (it may close a quote): stop.
    if (tooLong === true) throw recordTooLong(parser.open ? parser.startLine : line, error!);
    if (!parser.open && error === undefined && !/\S/.test(text)) continue;
    if (error !== undefined) badLine ??= { line, error };
    const opened = parser.open;
    const message = complete(parser.push(line, text));
    if (parser.open) {
      recordBytes = (opened ? recordBytes : 0) + Buffer.byteLength(text) + 1;
      if (recordBytes > limits.maxRecordBytes) throw recordTooLong(parser.startLine, `the record is longer than ${limits.maxRecordBytes.toLocaleString("en-US")} bytes, the limit of one message (AGG_MAX_RECORD_BYTES raises it)`);
    }
    if (message !== null) yield message;
  }
  const message = complete(parser.end());
  if (message !== null) yield message;
}

function headerError(record: CsvRecord, reason: string): AggError {
  return new AggError("input", `line ${record.line}: the CSV header ${reason}`, {
    hint: "the first line of a CSV input names the columns, e.g. id,user_id,amount,ts",
    meta: { line: record.line },
  });
}

/** A CSV record over the length limit: fatal, since the records after it cannot be found. */
function recordTooLong(line: number, reason: string): AggError {
  return new AggError("input", `line ${line}: ${reason}`, {
    hint: "a CSV input cannot go on past a record it did not read (it may close a quoted cell); check for an unclosed quote, or raise AGG_MAX_RECORD_BYTES",
    meta: { line },
  });
}

/** Column names: at most `maxColumns`, present, distinct, non-empty. A bad header is fatal: no row could be read. */
function checkHeader(record: CsvRecord, maxColumns: number): string[] {
  const fail = (reason: string) => headerError(record, reason);
  if (record.error !== null) throw fail(`is malformed: ${record.error}`);
  if (record.cells.length > maxColumns) {
    throw fail(`has ${record.cells.length.toLocaleString("en-US")} columns; at most ${maxColumns.toLocaleString("en-US")} are allowed (AGG_MAX_CSV_COLUMNS raises the limit)`);
  }
  const names = record.cells.map((c) => (c ?? "").trim());
  const empty = names.indexOf("");
  if (empty !== -1) throw fail(`has an empty column name (column ${empty + 1})`);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw fail(`names column "${name}" twice`);
    seen.add(name);
  }
  return names;
}
