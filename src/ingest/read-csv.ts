import { AggError } from "../errors.js";
import { CsvRecordParser, type CsvRecord } from "./csv-record-parser.js";
import type { InputMessage } from "./input-message.js";
import { readLines } from "./read-lines.js";

/**
 * CSV messages: a header row names the columns, each later record becomes an object of
 * text cells (`cells: true` lets validation read "12.5" as a number where the schema
 * wants one). Blank lines are skipped. A record with the wrong number of cells or a stray
 * quote is a message with an error, reported with the line it starts on.
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
  for await (const { line, text } of readLines(input)) {
    if (!parser.open && !/\S/.test(text)) continue;
    const record = parser.push(line, text);
    const message = record === null ? null : toMessage(record);
    if (message !== null) yield message;
  }
  const last = parser.end();
  const message = last === null ? null : toMessage(last);
  if (message !== null) yield message;
}

/** Column names: present, distinct, non-empty. A bad header is fatal: no row could be read. */
function checkHeader(record: CsvRecord): string[] {
  const fail = (reason: string) =>
    new AggError("input", `line ${record.line}: the CSV header ${reason}`, {
      hint: "the first line of a CSV input names the columns, e.g. id,user_id,amount,ts",
      meta: { line: record.line },
    });
  if (record.error !== null) throw fail(`is malformed: ${record.error}`);
  const names = record.cells.map((c) => (c ?? "").trim());
  const empty = names.indexOf("");
  if (empty !== -1) throw fail(`has an empty column name (column ${empty + 1})`);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw fail(`names column "${duplicate}" twice`);
  return names;
}
