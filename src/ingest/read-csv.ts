import { AggError } from "../errors.js";
import { CsvRecordParser, type CsvRecord } from "./csv-record-parser.js";
import type { InputMessage } from "./input-message.js";
import { readLines } from "./read-lines.js";

/**
 * CSV messages: a header row names the columns, each later record becomes an object of
 * text cells (`cells: true` lets validation read "12.5" as a number where the schema
 * wants one). Blank lines are skipped. A record with the wrong number of cells or a stray
 * quote, or a line that is not UTF-8, is a message with an error, reported with the line
 * it starts on.
 */
export async function* readCsv(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<InputMessage> {
  const parser = new CsvRecordParser();
  let header: readonly string[] | null = null;
  let headerLine = 0;
  const toMessage = (record: CsvRecord): InputMessage | null => {
    if (header === null) {
      header = checkHeader(record);
      headerLine = record.line;
      return null;
    }
    if (record.error !== null) return { line: record.line, raw: record.raw, error: `malformed CSV: ${record.error}` };
    if (record.cells.length !== header.length) {
      return { line: record.line, raw: record.raw, error: `malformed CSV: ${record.cells.length} cells, but the header on line ${headerLine} has ${header.length} columns` };
    }
    const value: Record<string, string | null> = {};
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
  for await (const { line, text, error } of readLines(input)) {
    if (!parser.open && error === undefined && !/\S/.test(text)) continue;
    if (error !== undefined) badLine ??= { line, error };
    const message = complete(parser.push(line, text));
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

/** Column names: present, distinct, non-empty. A bad header is fatal: no row could be read. */
function checkHeader(record: CsvRecord): string[] {
  const fail = (reason: string) => headerError(record, reason);
  if (record.error !== null) throw fail(`is malformed: ${record.error}`);
  const names = record.cells.map((c) => (c ?? "").trim());
  const empty = names.indexOf("");
  if (empty !== -1) throw fail(`has an empty column name (column ${empty + 1})`);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw fail(`names column "${duplicate}" twice`);
  return names;
}
