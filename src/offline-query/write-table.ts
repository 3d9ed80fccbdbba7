import { closeSync, openSync, writeSync } from "node:fs";
import type { TableFormat } from "./spine-format.js";
import { jsonReplacer, type OutputColumn, type TableTarget, type TableWriter } from "./table-output.js";
import { writeParquet } from "./write-parquet.js";

const CHUNK = 1 << 20;

/**
 * A writer for `format`. CSV: a header, then cells as text (null empty, an empty string
 * `""`, objects as JSON text, a value that overflowed empty as JSON's null). NDJSON: one
 * object per row, each spine row's own keys first. Parquet: write-parquet.ts.
 */
export function openTableWriter(format: TableFormat, target: TableTarget, spineColumns: readonly OutputColumn[], featureColumns: readonly OutputColumn[]): TableWriter {
  if (format === "parquet") return writeParquet(target, spineColumns, featureColumns);
  const sink = textSink(target);
  const names = spineColumns.map((c) => c.name);
  if (format === "csv") {
    sink.push(`${[...names, ...featureColumns.map((c) => c.name)].map(csvText).join(",")}\n`);
    return {
      write(spine, values) {
        let line = "";
        for (let i = 0; i < names.length; i++) line += `${i === 0 ? "" : ","}${csvCell(spine[names[i]!])}`;
        for (let i = 0; i < values.length; i++) line += `${names.length + i === 0 ? "" : ","}${csvCell(values[i])}`;
        sink.push(`${line}\n`);
      },
      finish: async () => sink.close(),
    };
  }
  return {
    write(spine, values) {
      const row: Record<string, unknown> = {};
      for (const key in spine) row[key] = spine[key];
      featureColumns.forEach((c, i) => (row[c.name] = values[i]));
      sink.push(`${JSON.stringify(row, jsonReplacer)}\n`);
    },
    finish: async () => sink.close(),
  };
}

/** Text in chunks of about a megabyte: one write per chunk, not per row. */
function textSink(target: TableTarget) {
  const fd = "path" in target ? openSync(target.path, "w") : null;
  const emit = (text: string) => (fd === null ? (target as { write: (chunk: string) => void }).write(text) : writeSync(fd, text));
  let buffer = "";
  return {
    push(text: string) {
      buffer += text;
      if (buffer.length >= CHUNK) {
        emit(buffer);
        buffer = "";
      }
    },
    close() {
      if (buffer.length > 0) emit(buffer);
      buffer = "";
      if (fd !== null) closeSync(fd);
    },
  };
}

/** A value as CSV cell text, quoted where RFC 4180 needs it. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value === "" ? '""' : csvText(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return value.toISOString();
  return csvText(JSON.stringify(value, jsonReplacer));
}

function csvText(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
